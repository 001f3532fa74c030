// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), self-contained.
//
// Why not OpenSSL: libcrypto 3 spends about 1.3 ms loading its default provider on the first
// digest of a process, and the hook (a new process on every push) needs only a few small
// digests: the rule-cache keys, the journal checksums and the alert fingerprints. OpenSSL stays
// for what needs it (the partner notification signatures, in `secretgate notify`); the tests
// check this implementation against it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sg {

class Sha256 {
 public:
  static constexpr size_t kDigestSize = 32;
  static constexpr size_t kBlockSize = 64;
  using Digest = std::array<unsigned char, kDigestSize>;

  Sha256();
  void Update(std::string_view data);
  Digest Finish();  // the object must not be updated afterwards

 private:
  void Compress(const unsigned char* blocks, size_t count);  // SHA-NI when the CPU has it
  void CompressPortable(const unsigned char* block);

  std::array<uint32_t, 8> h_;
  std::array<unsigned char, kBlockSize> buf_{};
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

// Tests: true makes every digest use the portable code even where SHA-NI is present.
void Sha256ForcePortable(bool portable);
// True when digests use the CPU's SHA instructions.
bool Sha256UsesShaNi();

// Raw 32-byte SHA-256 of `data`.
std::string Sha256Raw(std::string_view data);
// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256Raw(std::string_view key, std::string_view data);

}  // namespace sg
