#include "scan/filters.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "util/text.h"

namespace sg::scan {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

size_t LongestRun(std::string_view s) {
  size_t best = 0, run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    run = (i > 0 && s[i] == s[i - 1]) ? run + 1 : 1;
    best = std::max(best, run);
  }
  return best;
}

// True when `s` reads as a name in code rather than a random value: three or more words of
// letters, each a capital and two or more small letters (`NotifyAgentReplicationProgress`),
// or small-letter words joined by `_`, `-` or `.` (`get_user_profile_settings`), with vowels
// (at most one word without) and not all of one length. Random base62 or base64 of 16
// characters or more practically never has that shape, and formats of fixed-length letter
// groups (`xgas-paks-jxjz-gwco`) are kept.
bool LooksLikeIdentifier(std::string_view s) {
  if (s.size() < 16) return false;
  const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  const bool joined = s.find_first_of("_-.") != std::string_view::npos;
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    if (joined) {
      while (i < s.size() && lower(s[i])) ++i;
      if (i - start < 2) return false;
      words.push_back(s.substr(start, i - start));
      if (i < s.size()) {
        if (s[i] != '_' && s[i] != '-' && s[i] != '.') return false;
        if (++i == s.size()) return false;
      }
    } else {
      if (upper(s[i])) {
        ++i;
      } else if (start != 0) {
        return false;
      }
      const size_t small = i;
      while (i < s.size() && lower(s[i])) ++i;
      if (i - small < 2) return false;
      words.push_back(s.substr(start, i - start));
    }
  }
  if (words.size() < 3) return false;
  size_t without_vowel = 0;
  bool one_length = true;
  for (std::string_view w : words) {
    without_vowel += w.find_first_of("aeiouyAEIOUY") == std::string_view::npos;
    one_length &= w.size() == words[0].size();
  }
  return without_vowel <= 1 && !one_length;
}

}  // namespace

uint32_t Crc32(std::string_view data) {
  static const std::array<uint32_t, 256> kTable = MakeCrcTable();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = kTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string Base62(uint32_t value, size_t width) {
  std::string out;
  do {
    out.insert(out.begin(), kBase62[value % 62]);
    value /= 62;
  } while (value > 0);
  while (out.size() < width) out.insert(out.begin(), '0');
  return out;
}

bool ValidCrc32Token(std::string_view token) {
  if (token.size() < 36) return false;
  std::string_view random = token.substr(token.size() - 36, 30);
  std::string_view checksum = token.substr(token.size() - 6);
  return Base62(Crc32(random), 6) == checksum;
}

bool PassesValidator(std::string_view validator, std::string_view secret) {
  if (validator.empty()) return true;
  if (validator == "github-crc32" || validator == "npm-crc32") return ValidCrc32Token(secret);
  return false;
}

std::string_view PlaceholderReason(std::string_view secret, bool generic) {
  static constexpr std::string_view kWords[] = {
      "example",   "placeholder", "changeme", "change_me", "replace_me", "replaceme", "your_",
      "your-",     "yourkey",     "xxxxxx",   "redacted",  "dummy",      "<your",     "insert_",
      "os.environ", "process.env", "getenv(",  "env(",      "secretref",  "fake_",     "_here",
  };
  for (std::string_view w : kWords) {
    if (ContainsIgnoreCase(secret, w)) return "placeholder word";
  }
  if (secret.find("${") != std::string_view::npos || secret.find("{{") != std::string_view::npos ||
      secret.find("%(") != std::string_view::npos || secret.find("$(") != std::string_view::npos) {
    return "template or variable reference";
  }
  if (secret.size() >= 2 && secret.front() == '<' && secret.back() == '>') return "placeholder";
  if (secret.size() >= 2 && secret.front() == '$' &&
      (std::isupper(static_cast<unsigned char>(secret[1])) || secret[1] == '_')) {
    return "variable reference";
  }
  // Runs of one character ("aaaaaaaa", "********") do not occur in generated tokens; armoured
  // keys are long and are exempt because their padding repeats.
  if (secret.size() < 200 && LongestRun(secret) >= 8) return "repeated character";
  if (LooksLikeIdentifier(secret)) return "identifier";
  if (generic) {
    if ((secret.size() == 40 || secret.size() == 64) && IsHex(secret)) return "git object id or hash";
    if (IsUuid(secret)) return "uuid";
    for (std::string_view p : {"sha1-", "sha256-", "sha384-", "sha512-"}) {
      if (secret.substr(0, p.size()) == p) return "integrity hash";
    }
  }
  return {};
}

std::string PercentDecoded(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool HasDigit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool KeywordStartsWord(std::string_view text, std::string_view keyword) {
  if (keyword.empty() || keyword.size() > text.size()) return false;
  for (size_t at = 0; at + keyword.size() <= text.size(); ++at) {
    if (at > 0 && std::isalpha(static_cast<unsigned char>(text[at - 1]))) continue;
    bool same = true;
    for (size_t k = 0; k < keyword.size() && same; ++k) {
      same = std::tolower(static_cast<unsigned char>(text[at + k])) == keyword[k];
    }
    if (same) return true;
  }
  return false;
}

std::string_view InlineMarker(std::string_view line) {
  for (std::string_view m : {"secretgate:allow", "gitleaks:allow", "pragma: allowlist secret"}) {
    if (line.find(m) != std::string_view::npos) return m;
  }
  return {};
}

bool NextLineMarker(std::string_view line) {
  return line.find("pragma: allowlist nextline secret") != std::string_view::npos;
}

}  // namespace sg::scan
