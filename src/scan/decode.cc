#include "scan/decode.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sg::scan {
namespace {

// Value of each byte in the standard base64 alphabet, or -1.
constexpr std::array<int8_t, 256> MakeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 26; ++i) {
    t['A' + i] = static_cast<int8_t>(i);
    t['a' + i] = static_cast<int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<int8_t>(52 + i);
  t['+'] = 62;
  t['/'] = 63;
  return t;
}
constexpr std::array<int8_t, 256> kValue = MakeTable();

bool IsB64(char c) { return kValue[static_cast<unsigned char>(c)] >= 0; }

// Bytes decoded before the rest of a run is worth decoding (LooksLikeText on a prefix).
constexpr size_t kProbeChars = 48;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The line of `data` that starts at `at`, without its line end; `*next` is where the next
// line starts.
std::string_view LineAt(std::string_view data, size_t at, size_t* next) {
  size_t e = data.find('\n', at);
  *next = e == std::string_view::npos ? data.size() : e + 1;
  if (e == std::string_view::npos) e = data.size();
  if (e > at && data[e - 1] == '\r') --e;
  return data.substr(at, e - at);
}

size_t Indent(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && IsBlank(line[i])) ++i;
  return i;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view Unquote(std::string_view s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

// The first "Secret" in data at or after `at`, or npos. Every buffer is searched, and a capital
// S is common in source code (a memchr for it, then a compare, cost 5% of a directory scan of C
// sources): 16 positions at a time are tested for the first and the last byte of the word,
// and only those that have both are compared.
size_t FindSecretWord(std::string_view data, size_t at) {
  constexpr std::string_view kWord = "Secret";
  const size_t n = data.size();
  const char* const p = data.data();
#if defined(__SSE2__)
  const __m128i first = _mm_set1_epi8('S'), last = _mm_set1_epi8('t');
  for (; at + 16 + kWord.size() - 1 <= n; at += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at + kWord.size() - 1));
    unsigned mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last))));
    for (; mask != 0; mask &= mask - 1) {
      const size_t at_word = at + static_cast<size_t>(std::countr_zero(mask));
      if (std::memcmp(p + at_word + 1, kWord.data() + 1, kWord.size() - 2) == 0) return at_word;
    }
  }
#endif
  return data.find(kWord, at);
}

bool DeclaresKubernetesSecret(std::string_view data) {
  // The word, then the text before it.
  constexpr std::string_view kWord = "Secret";
  size_t at = 0;
  while (at < data.size()) {
    const size_t word = FindSecretWord(data, at);
    if (word == std::string_view::npos) return false;
    const size_t after = word + kWord.size();
    at = word + 1;
    // `kind: SecretProviderClass` is another kind.
    if (after < data.size() && std::isalnum(static_cast<unsigned char>(data[after]))) continue;
    const std::string_view before = data.substr(0, word);
    for (std::string_view marker : {"kind: ", "\"kind\": \"", "\"kind\":\""}) {
      if (!before.ends_with(marker)) continue;
      if (marker[0] != '"') return true;
      // JSON: the closing quote, and no letter or digit right after it.
      if (data.substr(after, 1) == "\"" &&
          (after + 1 == data.size() ||
           !std::isalnum(static_cast<unsigned char>(data[after + 1])))) {
        return true;
      }
    }
  }
  return false;
}

class Collector {
 public:
  Collector(std::string_view data, const DecodeLimits& limits) : data_(data), limits_(limits) {}

  bool Full() const { return out_.size() >= limits_.max_items || total_ >= limits_.max_total; }

  // Adds the value at data[start, end) with key `key` (Kubernetes) or none (free-standing).
  void Add(size_t start, size_t end, std::string_view key, bool kubernetes) {
    if (Full()) return;
    std::string_view encoded = data_.substr(start, end - start);
    if (!kubernetes) {
      auto probe = DecodeBase64(encoded.substr(0, kProbeChars - kProbeChars % 4));
      if (!probe || !LooksLikeText(*probe)) return;
    }
    auto decoded = DecodeBase64(encoded);
    if (!decoded || decoded->empty() || !LooksLikeText(*decoded)) return;
    if (decoded->size() > limits_.max_total - total_) return;
    EncodedText e;
    e.start = start;
    e.end = end;
    e.kubernetes = kubernetes;
    if (!key.empty()) e.text = std::string(key) + ": ";
    e.value_offset = e.text.size();
    e.text += *decoded;
    total_ += e.text.size();
    out_.push_back(std::move(e));
  }

  std::vector<EncodedText> Take() { return std::move(out_); }
  const std::vector<EncodedText>& items() const { return out_; }

 private:
  std::string_view data_;
  const DecodeLimits& limits_;
  std::vector<EncodedText> out_;
  size_t total_ = 0;
};

// `key: value` lines of every YAML `data:` block.
void YamlSecretData(std::string_view data, Collector& out) {
  size_t at = 0, next = 0;
  while (at < data.size() && !out.Full()) {
    std::string_view line = LineAt(data, at, &next);
    const size_t indent = Indent(line);
    if (Trim(line) != "data:") {
      at = next;
      continue;
    }
    at = next;
    while (at < data.size() && !out.Full()) {
      const size_t line_start = at;
      std::string_view item = LineAt(data, at, &next);
      if (Trim(item).empty()) {
        at = next;
        continue;
      }
      if (Indent(item) <= indent) break;  // the block ended; look for the next `data:`
      at = next;
      const size_t colon = item.find(": ");
      if (colon == std::string_view::npos) continue;
      std::string_view key = Unquote(Trim(item.substr(0, colon)));
      std::string_view raw = Trim(item.substr(colon + 2));
      std::string_view value = Unquote(raw);
      if (key.empty() || value.size() < 4) continue;
      const size_t value_start = line_start + static_cast<size_t>(value.data() - item.data());
      out.Add(value_start, value_start + value.size(), key, true);
    }
  }
}

// `"key": "value"` pairs of every JSON `"data": { ... }` object.
void JsonSecretData(std::string_view data, Collector& out) {
  for (size_t at = data.find("\"data\""); at != std::string_view::npos && !out.Full();
       at = data.find("\"data\"", at + 1)) {
    size_t i = at + 6;
    while (i < data.size() && std::isspace(static_cast<unsigned char>(data[i]))) ++i;
    if (i >= data.size() || data[i] != ':') continue;
    ++i;
    while (i < data.size() && std::isspace(static_cast<unsigned char>(data[i]))) ++i;
    if (i >= data.size() || data[i] != '{') continue;
    const size_t close = data.find('}', i);
    if (close == std::string_view::npos) continue;
    // Inside the object: "key" : "value" , ...
    size_t p = i + 1;
    while (p < close && !out.Full()) {
      const size_t k1 = data.find('"', p);
      if (k1 == std::string_view::npos || k1 >= close) break;
      const size_t k2 = data.find('"', k1 + 1);
      if (k2 == std::string_view::npos || k2 >= close) break;
      size_t q = k2 + 1;
      while (q < close && std::isspace(static_cast<unsigned char>(data[q]))) ++q;
      if (q >= close || data[q] != ':') break;
      const size_t v1 = data.find('"', q + 1);
      if (v1 == std::string_view::npos || v1 >= close) break;
      const size_t v2 = data.find('"', v1 + 1);
      if (v2 == std::string_view::npos || v2 >= close) break;
      if (v2 - v1 - 1 >= 4) out.Add(v1 + 1, v2, data.substr(k1 + 1, k2 - k1 - 1), true);
      p = v2 + 1;
    }
  }
}

bool Overlaps(const std::vector<EncodedText>& items, size_t start, size_t end) {
  for (const auto& e : items) {
    if (start < e.end && e.start < end) return true;
  }
  return false;
}

// Bit k of the result: p[k] is in the base64 alphabet, for 64 bytes (16 at a time with SSE2,
// x86-64's baseline: letters are the bytes whose c | 0x20 lies in 'a'..'z').
uint64_t AlphabetMask64(const char* p) {
#if defined(__SSE2__)
  uint64_t mask = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const __m128i letter = _mm_sub_epi8(_mm_or_si128(c, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    const __m128i digit = _mm_sub_epi8(c, _mm_set1_epi8('0'));
    const __m128i in = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(letter, _mm_set1_epi8(25)), letter),
                     _mm_cmpeq_epi8(_mm_min_epu8(digit, _mm_set1_epi8(9)), digit)),
        _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('+')), _mm_cmpeq_epi8(c, _mm_set1_epi8('/'))));
    mask |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(in))} << (16 * k);
  }
  return mask;
#else
  uint64_t mask = 0;
  for (int k = 0; k < 64; ++k) mask |= uint64_t{IsB64(p[k])} << k;
  return mask;
#endif
}

// Where the first run of at least m bytes of the alphabet starts at or after i (a run going on
// from before i counts from i), or data.size(). Text is mostly short runs (words), so this
// looks at 64 bytes at a time: a mask of the alphabet's bytes, the run carried in from the
// previous block, and the mask ANDed with itself shifted (bit k then says that m bytes from k
// are all in the alphabet). The byte-by-byte walk was a tenth of a directory scan.
size_t NextRunStart(std::string_view data, size_t i, size_t m) {
  const size_t n = data.size();
  size_t carry = 0;  // alphabet bytes right before block b, since i
  for (size_t b = i; b < n; b += 64) {
    uint64_t w;
    if (n - b >= 64) {
      w = AlphabetMask64(data.data() + b);
    } else {
      char tail[64] = {};  // NUL is not in the alphabet
      std::memcpy(tail, data.data() + b, n - b);
      w = AlphabetMask64(tail);
    }
    const int lead = std::countr_one(w);
    if (carry + static_cast<size_t>(lead) >= m) return b - carry;
    if (lead == 64) {
      carry += 64;
      continue;
    }
    const uint64_t rest = w & (~uint64_t{0} << lead);  // runs after the first byte outside
    if (m <= 64) {
      uint64_t t = rest;
      for (size_t k = 1; k < m;) {
        const size_t s = std::min(k, m - k);
        t &= t >> s;
        k += s;
      }
      if (t != 0) return b + static_cast<size_t>(std::countr_zero(t));
    }
    carry = static_cast<size_t>(std::countl_one(rest));
  }
  return n;
}

// Free-standing runs of the base64 alphabet, of at least limits.min_run characters.
void Runs(std::string_view data, const DecodeLimits& limits, Collector& out) {
  const size_t kubernetes = out.items().size();  // the values found before: skip their bytes
  const size_t n = data.size();
  const size_t m = std::max<size_t>(limits.min_run, 1);
  // Invariant: i == 0, or data[i - 1] ends a run already handled or is outside the alphabet.
  size_t i = 0;
  while (i + m <= n && !out.Full()) {
    i = NextRunStart(data, i, m);
    if (i + m > n) break;
    const size_t start = i;
    size_t end = i + m;
    while (end < n && IsB64(data[end])) ++end;
    i = end;
    if (end - start > limits.max_run) continue;
    bool upper = false, lower = false, digit = false;
    for (size_t k = start; k < end; ++k) {
      const char c = data[k];
      upper |= c >= 'A' && c <= 'Z';
      lower |= c >= 'a' && c <= 'z';
      digit |= c >= '0' && c <= '9';
    }
    if (!(upper && lower && digit)) continue;
    // A JWT's segments (eyJ..., joined by dots) are left to the JWT rules; base64 of a JSON
    // document (a .dockerconfigjson) also starts with eyJ and is decoded.
    if (data.compare(start, 3, "eyJ") == 0 && end < n && data[end] == '.') continue;
    size_t pad = 0;
    while (end < n && data[end] == '=' && pad < 2) {
      ++end;
      ++pad;
    }
    i = end;
    if (kubernetes > 0 && Overlaps(out.items(), start, end)) continue;
    out.Add(start, end, {}, false);
  }
}

}  // namespace

std::optional<std::string> DecodeBase64(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  if (s.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(s.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const int v = kValue[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

bool LooksLikeText(std::string_view s) {
  size_t high = 0;
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return false;
    high += c >= 0x80;
  }
  return high * 10 <= s.size();
}

std::vector<EncodedText> FindEncoded(std::string_view data, const DecodeLimits& limits) {
  Collector out(data, limits);
  if (DeclaresKubernetesSecret(data)) {
    YamlSecretData(data, out);
    JsonSecretData(data, out);
  }
  Runs(data, limits, out);
  std::vector<EncodedText> all = out.Take();
  std::sort(all.begin(), all.end(),
            [](const EncodedText& a, const EncodedText& b) { return a.start < b.start; });
  return all;
}

}  // namespace sg::scan
