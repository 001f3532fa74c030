// CRC-32C (Castagnoli, reflected, as in iSCSI and ext4): checksums of derived files and caches.
#pragma once

#include <cstdint>
#include <string_view>

namespace sg {

// CRC-32C of `data`, continuing from `crc` (0 to start). Uses the SSE4.2 crc32 instruction
// when the CPU has it (about 20x the table's speed), the table otherwise; same result.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);
// The table-driven form alone (for tests that compare the two).
uint32_t Crc32cPortable(std::string_view data, uint32_t crc = 0);

}  // namespace sg
