#include "util/text.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "util/sha256.h"

namespace sg {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// The code point of one valid UTF-8 sequence.
uint32_t CodePoint(std::string_view seq) {
  const auto b = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<unsigned char>(seq[k]));
  };
  switch (seq.size()) {
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    case 4:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
    default:
      return b(0);
  }
}

std::string CodePointHex(std::string_view seq) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x", CodePoint(seq));
  return buf;
}

// Unicode format controls that change how text around them is displayed: the bidirectional
// embeddings, overrides, isolates and marks, and the line and paragraph separators.
bool IsFormatControl(std::string_view seq) {
  const uint32_t cp = CodePoint(seq);
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

void AppendHexByte(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

}  // namespace

std::string EscapeControl(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\\':
          out += "\\\\";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            AppendHexByte(out, c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    // C1 controls (U+0080..U+009F) are two-byte sequences C2 80..C2 9F; some terminals obey them.
    bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
    if (n > 0 && IsFormatControl(s.substr(i, n))) {
      // Bidirectional overrides and isolates, marks and line separators reorder or break what
      // a terminal shows ("Trojan Source"): written as \u{...}, visible.
      out += "\\u{" + CodePointHex(s.substr(i, n)) + "}";
      i += n;
      continue;
    }
    if (n == 0 || c1) {
      size_t bad = n == 0 ? 1 : n;
      for (size_t k = 0; k < bad; ++k) AppendHexByte(out, static_cast<unsigned char>(s[i + k]));
      i += bad;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

double ShannonEntropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<size_t, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0;
  const double n = static_cast<double>(s.size());
  for (size_t count : counts) {
    if (count == 0) continue;
    double p = static_cast<double>(count) / n;
    h -= p * std::log2(p);
  }
  return h;
}

std::string Redact(std::string_view secret) {
  size_t prefix = std::min<size_t>(6, secret.size() / 4);
  // Never cut a UTF-8 sequence in half.
  while (prefix > 0 && (static_cast<unsigned char>(secret[prefix]) & 0xC0) == 0x80) --prefix;
  return EscapeControl(secret.substr(0, prefix)) + "…(" + std::to_string(secret.size()) + " chars)";
}

std::string FormatRfc3339(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string NowRfc3339() { return FormatRfc3339(static_cast<int64_t>(std::time(nullptr))); }

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  return FindIgnoreCase(haystack, needle) != std::string_view::npos;
}

size_t FindIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return 0;
  if (needle.size() > haystack.size()) return std::string_view::npos;
  // The first byte is compared in both cases without a call to tolower (most positions fail
  // there); the rest only at those that pass.
  const auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  const unsigned char a = static_cast<unsigned char>(lower(needle[0]));
  const unsigned char b = static_cast<unsigned char>(std::toupper(a));
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(haystack[i]);
    if (c != a && c != b) continue;
    size_t k = 1;
    while (k < needle.size() && lower(haystack[i + k]) == lower(needle[k])) ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

std::string HexEncode(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256Raw(data)); }

int64_t ParseByteSize(std::string_view s) {
  size_t i = 0;
  int64_t value = 0;
  if (s.empty()) return -1;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    if (value > (int64_t{1} << 50)) return -1;
    value = value * 10 + (s[i] - '0');
    ++i;
  }
  if (i == 0) return -1;
  std::string unit = ToLowerAscii(s.substr(i));
  if (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);
  if (unit.empty() || unit == "b") return value;
  if (unit == "k" || unit == "kb" || unit == "kib") return value << 10;
  if (unit == "m" || unit == "mb" || unit == "mib") return value << 20;
  if (unit == "g" || unit == "gb" || unit == "gib") return value << 30;
  return -1;
}

}  // namespace sg
