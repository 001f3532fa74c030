// Small text helpers shared by every module: escaping for terminals and logs, Shannon entropy,
// redaction of secrets, and RFC 3339 timestamps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sg {

// Returns `s` with every control character (C0, DEL, and C1 encoded as UTF-8), every Unicode
// bidirectional or line-separating format control (U+202E and its kin, written \u{202e}) and
// every byte that is not valid UTF-8 written as a visible escape (\n, \t, \x1b, ...), so that a
// hostile path or commit message cannot move the cursor, recolour, reorder or forge lines on a
// pusher's terminal or in any output.
std::string EscapeControl(std::string_view s);

// The columns a terminal gives the UTF-8 text `s`, as wcwidth(3) counts them in a UTF-8 locale
// but without depending on one: 0 for combining marks, zero-width and control characters, 2 for
// East Asian wide and fullwidth characters and emoji, 1 for the rest (and for each byte that is
// not valid UTF-8). Tables align on this, not on bytes: "…" is three bytes and one column.
size_t DisplayWidth(std::string_view s);

// `s` followed by spaces up to `width` display columns (unchanged when already that wide).
std::string PadToWidth(std::string_view s, size_t width);

// Shannon entropy of the bytes of `s`, in bits per byte (0 for an empty string).
double ShannonEntropy(std::string_view s);

// The only form in which a secret may be printed or logged: a short prefix and the length,
// e.g. "ghp_Ab…(40 chars)". The prefix is at most 6 bytes and at most a quarter of the secret,
// and is escaped with EscapeControl.
std::string Redact(std::string_view secret);

// Current time (or `unix_seconds`) as RFC 3339 UTC with second precision: 2026-11-22T06:21:52Z.
std::string NowRfc3339();
std::string FormatRfc3339(int64_t unix_seconds);

// ASCII case-insensitive substring search.
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);
// Where the first occurrence of `needle` in `haystack` starts, ignoring ASCII case; npos when
// there is none.
size_t FindIgnoreCase(std::string_view haystack, std::string_view needle);

std::string ToLowerAscii(std::string_view s);

// Lowercase hex of `data`.
std::string HexEncode(std::string_view data);

// SHA-256 of `data`, lowercase hex (util/sha256.h).
std::string Sha256Hex(std::string_view data);

// Parses sizes such as "10MiB", "512k", "1048576" into bytes; nullopt-like -1 on error.
int64_t ParseByteSize(std::string_view s);

}  // namespace sg
