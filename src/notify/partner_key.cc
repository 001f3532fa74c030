#include "notify/partner_key.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/crypto.h"
#include "store/file_util.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::notify {
namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

std::string OpenSslError(std::string_view what) {
  unsigned long e = ERR_get_error();
  char buf[256] = {0};
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return std::string(what) + (e ? std::string(": ") + buf : std::string());
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace

Result<PartnerKey> PartnerKey::Load(const std::string& path) {
  auto pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  if (!bio) return Status::Internal(OpenSslError("BIO_new_mem_buf"));
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!raw) return Status::Corruption(OpenSslError(path + ": not a PEM private key"));
  auto key = Own(raw);
  if (!EVP_PKEY_is_a(key.get(), "EC")) {
    return Status::Corruption(path + ": not an EC (P-256) key");
  }
  return PartnerKey(std::move(key));
}

Result<PartnerKey> PartnerKey::LoadOrCreate(const std::string& path) {
  auto existing = Load(path);
  if (existing.ok() || existing.status().code() != Code::kNotFound) return existing;
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (!dir.empty()) SG_RETURN_IF_ERROR(store::MakeStoreDirs(dir));
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!raw) return Status::Internal(OpenSslError("cannot generate a P-256 key"));
  auto key = Own(raw);
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Status::Internal(OpenSslError("cannot encode the partner key"));
  }
  const std::string pem = BioText(bio.get());
  auto rnd = store::RandomBytes(8);
  if (!rnd.ok()) return rnd.status();
  const std::string tmp = path + ".tmp." + store::HexEncode(*rnd);
  {
    auto fd = store::OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (!fd.ok()) return fd.status();
    ::fchmod(fd->get(), 0600);
    Status s = store::WriteAllAt(fd->get(), pem, 0, tmp);
    if (s.ok()) s = store::SyncFd(fd->get(), tmp);
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
  }
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err != EEXIST) {
    return Status::IOError("cannot create " + path + ": " + std::strerror(err));
  }
  if (!dir.empty()) SG_RETURN_IF_ERROR(store::SyncDir(dir));
  return Load(path);  // whoever linked first wins; everyone uses that key
}

std::string PartnerKey::PublicKeyPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) return {};
  return BioText(bio.get());
}

std::string PartnerKey::KeyId() const {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key_.get(), &der);
  if (n <= 0) return {};
  std::string out =
      Sha256Hex(std::string_view(reinterpret_cast<char*>(der), static_cast<size_t>(n)));
  OPENSSL_free(der);
  return out;
}

Result<std::string> PartnerKey::Sign(std::string_view data) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
    return Status::Internal(OpenSslError("EVP_DigestSignInit"));
  }
  size_t len = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, bytes, data.size()) != 1) {
    return Status::Internal(OpenSslError("EVP_DigestSign"));
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes,
                     data.size()) != 1) {
    return Status::Internal(OpenSslError("EVP_DigestSign"));
  }
  sig.resize(len);
  std::string b64(4 * ((sig.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                          reinterpret_cast<const unsigned char*>(sig.data()),
                          static_cast<int>(sig.size()));
  b64.resize(static_cast<size_t>(n));
  return b64;
}

}  // namespace sg::notify
