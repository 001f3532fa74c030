// Hashing for the store (util/sha256.h). Nothing here fails except RandomBytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace sg::store {

// Lower-case hex of SHA-256(data).
std::string Sha256Hex(std::string_view data);
// Raw 32-byte SHA-256(data).
std::string Sha256Raw(std::string_view data);
// Lower-case hex of HMAC-SHA256(key, data).
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// `n` bytes from the kernel's CSPRNG (getrandom).
Result<std::string> RandomBytes(size_t n);
// CRC-32C (Castagnoli) of data, continuing from `crc` (0 to start). Used for derived files.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

std::string HexEncode(std::string_view raw);
// Decodes hex into *raw; false if `hex` has odd length or a non-hex character.
bool HexDecode(std::string_view hex, std::string* raw);

}  // namespace sg::store
