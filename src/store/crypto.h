// Hashing for the store. The digests themselves live in util/ (sha256.h, crc32c.h, text.h);
// they are named here too so that store code and its tests say store::Crc32c and the like.
// Nothing here fails except RandomBytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/crc32c.h"
#include "util/sha256.h"
#include "util/status.h"
#include "util/text.h"

namespace sg::store {

using sg::Crc32c;     // CRC-32C of derived files
using sg::HexEncode;  // lower-case hex
using sg::Sha256Hex;  // lower-case hex of SHA-256
using sg::Sha256Raw;  // raw 32-byte SHA-256

// Lower-case hex of HMAC-SHA256(key, data).
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// `n` bytes from the kernel's CSPRNG (getrandom).
Result<std::string> RandomBytes(size_t n);
// Decodes hex into *raw; false if `hex` has odd length or a non-hex character.
bool HexDecode(std::string_view hex, std::string* raw);

}  // namespace sg::store
