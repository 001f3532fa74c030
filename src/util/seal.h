// Sealing a secret that must wait on disk (the pending-records spool, queue/pending.h):
// AES-256-GCM under a 32-byte key, with a fresh 96-bit nonce per seal. The result is
// hex(nonce | ciphertext | tag). OpenSSL is loaded only on this path, which a push takes only
// when its findings could not be recorded.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace sg {

inline constexpr size_t kSealKeyBytes = 32;

Result<std::string> Seal(std::string_view key, std::string_view plain);
// Corruption when the sealed text was altered or the key is not the one that sealed it.
Result<std::string> Unseal(std::string_view key, std::string_view sealed_hex);

}  // namespace sg
