// The server's partner-notification signing key: ECDSA P-256, kept as a PKCS#8 PEM file (0600),
// created on first use. A provider verifies a POST with the public key that
// `secretgate partner key` prints (README.md, "Partner notifications").
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

struct evp_pkey_st;

namespace sg::notify {

inline constexpr std::string_view kPartnerKeyFile = "partner-key.pem";

class PartnerKey {
 public:
  // Reads the private key at `path`, creating it first if missing. Creation is race-safe: the
  // key is written to a unique temporary file (O_CREAT|O_EXCL, 0600), fsynced, then link(2)ed
  // into place, so concurrent creators end up using the first key linked.
  static Result<PartnerKey> LoadOrCreate(const std::string& path);
  // Reads an existing key; NotFound if there is none.
  static Result<PartnerKey> Load(const std::string& path);

  // The public key as PEM ("-----BEGIN PUBLIC KEY-----", SubjectPublicKeyInfo).
  std::string PublicKeyPem() const;
  // Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo: Secretgate-Public-Key-Identifier.
  std::string KeyId() const;
  // Base64 of the DER ECDSA-SHA256 signature over `data`: Secretgate-Public-Key-Signature.
  Result<std::string> Sign(std::string_view data) const;

 private:
  explicit PartnerKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;  // immutable after load: copies share it
};

}  // namespace sg::notify
