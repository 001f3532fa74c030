// What the scanner reports for one secret in one buffer.
#pragma once

#include <cstddef>
#include <string>

#include "rules/rule.h"

namespace sg::scan {

struct Finding {
  // Owned by the Engine that produced the finding; lives as long as that Engine.
  const rules::Rule* rule = nullptr;
  size_t start = 0;  // byte offsets of the secret in the scanned buffer, [start, end)
  size_t end = 0;
  // The plain secret. Never print or log it: use sg::Redact().
  std::string secret;
  int start_line = 0;  // 1-based
  int end_line = 0;
  int start_column = 0;  // 1-based, in bytes
  int end_column = 0;    // 1-based, inclusive, in bytes
  // "base64" when the secret was found by decoding the text at [start, end) (decode.h): the
  // location is that of the encoded text, `secret` is the decoded secret. Empty otherwise.
  std::string encoding;
  // Non-empty when an inline marker or an exclusion suppressed the finding: callers log it and
  // do not report it to the pusher.
  std::string suppressed_by;
};

}  // namespace sg::scan
