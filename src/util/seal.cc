#include "util/seal.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "util/text.h"

namespace sg {
namespace {

constexpr size_t kNonce = 12, kTag = 16;

using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

bool FromHex(std::string_view hex, std::string* out) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (hex.size() % 2) return false;
  out->resize(hex.size() / 2);
  for (size_t i = 0; i < out->size(); ++i) {
    const int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<char>(hi << 4 | lo);
  }
  return true;
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

}  // namespace

Result<std::string> Seal(std::string_view key, std::string_view plain) {
  if (key.size() != kSealKeyBytes) return Status::Invalid("a seal key is 32 bytes");
  std::string nonce(kNonce, '\0');
  if (RAND_bytes(U(nonce), static_cast<int>(kNonce)) != 1) {
    return Status::Internal("no random bytes for a nonce");
  }
  CtxPtr ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string out(plain.size() + 16, '\0');
  int n = 0, m = 0;
  std::string tag(kTag, '\0');
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), U(out), &n, U(plain), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), U(out) + n, &m) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag), U(tag)) != 1) {
    return Status::Internal("AES-256-GCM failed");
  }
  out.resize(static_cast<size_t>(n + m));
  return HexEncode(nonce + out + tag);
}

Result<std::string> Unseal(std::string_view key, std::string_view sealed_hex) {
  if (key.size() != kSealKeyBytes) return Status::Invalid("a seal key is 32 bytes");
  std::string raw;
  if (!FromHex(sealed_hex, &raw) || raw.size() < kNonce + kTag) {
    return Status::Corruption("not a sealed value");
  }
  const std::string nonce = raw.substr(0, kNonce);
  std::string tag = raw.substr(raw.size() - kTag);
  const std::string ct = raw.substr(kNonce, raw.size() - kNonce - kTag);
  CtxPtr ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string out(ct.size() + 16, '\0');
  int n = 0, m = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), U(out), &n, U(ct), static_cast<int>(ct.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), U(tag)) != 1) {
    return Status::Internal("AES-256-GCM failed");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), U(out) + n, &m) != 1) {
    return Status::Corruption(
        "sealed value fails its authentication tag (altered, or another key)");
  }
  out.resize(static_cast<size_t>(n + m));
  return out;
}

}  // namespace sg
