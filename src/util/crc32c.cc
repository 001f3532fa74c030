#include "util/crc32c.h"

#include <array>
#include <cstring>

namespace sg {
namespace {

// Table for the reflected Castagnoli polynomial 0x82F63B78, built at compile time.
constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

#if defined(__x86_64__)
// The crc32 instruction has a latency of three cycles and a throughput of one, so one chain of
// them runs at a third of what the CPU can do. Long inputs are cut into blocks of three lanes of
// kLane bytes, each lane its own chain (the second and third starting from 0), and the lanes
// are joined with the CRC's linearity: the register after lane A then lane B is
// Shift(register after A) ^ (register after B from 0), where Shift feeds kLane zero bytes.
constexpr size_t kLane = 8192;

__attribute__((target("sse4.2"))) uint64_t Crc32cChain(uint64_t c, const char* p, size_t n) {
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = __builtin_ia32_crc32qi(c32, static_cast<unsigned char>(*p));
  return c32;
}

// Shift is linear in the register: it is the XOR of its values on the 32 single bits, which
// are computed once by feeding kLane zero bytes to each.
struct LaneShift {
  std::array<uint32_t, 32> bit{};
  __attribute__((target("sse4.2"))) LaneShift() {
    static const char zeros[kLane] = {};
    for (int b = 0; b < 32; ++b) {
      bit[b] = static_cast<uint32_t>(Crc32cChain(uint32_t{1} << b, zeros, kLane));
    }
  }
  uint32_t operator()(uint32_t c) const {
    uint32_t out = 0;
    for (; c != 0; c &= c - 1) out ^= bit[__builtin_ctz(c)];
    return out;
  }
};

__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(std::string_view data, uint32_t crc) {
  uint64_t c = static_cast<uint32_t>(~crc);
  const char* p = data.data();
  size_t n = data.size();
  if (n >= 3 * kLane) {
    static const LaneShift shift;
    for (; n >= 3 * kLane; p += 3 * kLane, n -= 3 * kLane) {
      uint64_t c1 = 0, c2 = 0;
      for (size_t i = 0; i < kLane; i += 8) {
        uint64_t v0, v1, v2;
        std::memcpy(&v0, p + i, 8);
        std::memcpy(&v1, p + kLane + i, 8);
        std::memcpy(&v2, p + 2 * kLane + i, 8);
        c = __builtin_ia32_crc32di(c, v0);
        c1 = __builtin_ia32_crc32di(c1, v1);
        c2 = __builtin_ia32_crc32di(c2, v2);
      }
      c = shift(shift(static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c1)) ^
          static_cast<uint32_t>(c2);
    }
  }
  return ~static_cast<uint32_t>(Crc32cChain(c, p, n));
}

bool HasSse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

uint32_t Crc32cPortable(std::string_view data, uint32_t crc) {
  crc = ~crc;
  for (const char ch : data) {
    crc = kCrcTable[(crc ^ static_cast<unsigned char>(ch)) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

uint32_t Crc32c(std::string_view data, uint32_t crc) {
#if defined(__x86_64__)
  if (HasSse42()) return Crc32cSse42(data, crc);
#endif
  return Crc32cPortable(data, crc);
}

}  // namespace sg
