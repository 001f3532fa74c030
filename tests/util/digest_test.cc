#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <random>

#include "store/crypto.h"
#include "util/crc32c.h"
#include "util/sha256.h"
#include "util/text.h"

using namespace sg;

namespace {
std::string OpenSslSha256(const std::string& data) {
  std::string out(32, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}
std::string OpenSslHmac(const std::string& key, const std::string& data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       reinterpret_cast<unsigned char*>(out.data()), &len);
  return out;
}
}  // namespace

TEST_CASE("SHA-256 and HMAC-SHA256 give the FIPS and RFC 4231 answers") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(Sha256Hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // RFC 4231 test cases 1, 2 and 6 (a key longer than a block).
  CHECK(HexEncode(HmacSha256Raw(std::string(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(HexEncode(HmacSha256Raw("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(HexEncode(HmacSha256Raw(std::string(131, '\xaa'),
                                "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("SHA-256 and HMAC-SHA256 agree with OpenSSL on every length and split") {
  // Both code paths: the CPU's SHA instructions where it has them, then the portable code.
  for (bool portable : {false, true}) {
    Sha256ForcePortable(portable);
    CAPTURE(portable);
    CAPTURE(Sha256UsesShaNi());
    if (portable) CHECK(!Sha256UsesShaNi());
    std::mt19937 rng(7);
    for (size_t len = 0; len < 300; ++len) {
      std::string data(len, '\0');
      for (auto& c : data) c = static_cast<char>(rng());
      std::string key(len % 140, '\0');
      for (auto& c : key) c = static_cast<char>(rng());
      CHECK(Sha256Raw(data) == OpenSslSha256(data));
      CHECK(HmacSha256Raw(key, data) == OpenSslHmac(key, data));
      CHECK(store::HmacSha256Hex(key, data) == HexEncode(OpenSslHmac(key, data)));
      // Fed in two pieces at every split point of a few lengths.
      if (len % 37 == 0) {
        for (size_t cut = 0; cut <= len; ++cut) {
          Sha256 h;
          h.Update(std::string_view(data).substr(0, cut));
          h.Update(std::string_view(data).substr(cut));
          auto d = h.Finish();
          CHECK(std::string(reinterpret_cast<const char*>(d.data()), d.size()) ==
                OpenSslSha256(data));
        }
      }
    }
    // A long input goes through the multi-block path.
    std::string big(1 << 20, '\0');
    for (auto& c : big) c = static_cast<char>(rng());
    CHECK(Sha256Raw(big) == OpenSslSha256(big));
  }
  Sha256ForcePortable(false);
}

TEST_CASE("random bytes come from the kernel, differ between calls and have the asked size") {
  auto a = store::RandomBytes(32);
  auto b = store::RandomBytes(32);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == 32);
  CHECK(*a != *b);
  auto big = store::RandomBytes(1 << 20);
  REQUIRE(big.ok());
  CHECK(big->size() == size_t{1} << 20);
}

TEST_CASE("CRC-32C gives the standard check value, in hardware and by table alike") {
  CHECK(Crc32c("123456789") == 0xE3069283u);
  CHECK(Crc32cPortable("123456789") == 0xE3069283u);
  std::mt19937 rng(11);
  std::string data;
  // Past 24 KiB the hardware form runs three interleaved chains and joins them.
  data.resize(200000);
  for (auto& c : data) c = static_cast<char>(rng());
  for (size_t len :
       {0, 1, 7, 8, 9, 63, 64, 65, 1000, 4999, 24575, 24576, 24577, 49152, 50001, 200000}) {
    std::string_view part(data.data(), len);
    CHECK(Crc32c(part) == Crc32cPortable(part));
    // Continuing from a previous CRC equals one pass.
    CHECK(Crc32c(part.substr(len / 2), Crc32c(part.substr(0, len / 2))) == Crc32cPortable(part));
  }
}
