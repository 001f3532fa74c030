// Comparison of secrets (token hashes, CSRF tokens) in time that depends only on the lengths.
#pragma once

#include <string_view>

namespace sg {

// True if a == b. Every byte is looked at whatever the first difference, so the time taken
// tells nothing about where two equal-length strings differ.
inline bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace sg
