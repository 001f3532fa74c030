// Base64-encoded text that may hide a secret: a JWT or a PEM key wrapped in base64, a
// `.dockerconfigjson`, the `data:` values of a Kubernetes Secret. The scanner scans what such
// text decodes to with the same rules, and reports a finding at the encoded text
// (Scanner::AddDecoded). Pure functions, no state.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg::scan {

// Bounds on the work one buffer can cause, whatever it holds.
struct DecodeLimits {
  size_t min_run = 32;            // shortest free-standing base64 run that is decoded
  size_t max_run = 64 * 1024;     // a longer run (an embedded file) is left alone
  size_t max_total = 256 * 1024;  // decoded bytes per buffer
  size_t max_items = 256;         // decoded runs and values per buffer
};

// One piece of encoded text and what the scanner scans in its place.
struct EncodedText {
  size_t start = 0, end = 0;  // the encoded bytes in the buffer
  // The decoded bytes, after `text[0, value_offset)`: for a Kubernetes Secret's value, its key
  // and ": " ("password: " + decoded), so that rules bound to a key name apply; empty before
  // a free-standing run's decoded bytes.
  std::string text;
  size_t value_offset = 0;
  // A value of a Kubernetes Secret's `data`: a credential by its place, so every rule applies.
  // A free-standing run may be any embedded document (a source map, a JSON blob), whose own
  // `password = ...` lines are not the credential of the file that embeds it: generic rules
  // do not apply to it.
  bool kubernetes = false;
};

// The encoded text of `data` worth scanning, in increasing order of `start`, not overlapping:
//  * in a document that declares `kind: Secret` (YAML, or JSON `"kind": "Secret"`), each value
//    of its `data` map that is valid base64 of text;
//  * elsewhere, free-standing runs of the standard base64 alphabet of limits.min_run to
//    limits.max_run characters, with upper- and lower-case letters and digits, that decode to
//    text. A run starting with `eyJ` and followed by a dot is a JWT's segment and left out.
// Decoded text must look like text (no control bytes but tab and line ends, at most 10% of
// bytes above 0x7f); binary (images, certificates, key material) is skipped after its first
// few bytes.
std::vector<EncodedText> FindEncoded(std::string_view data, const DecodeLimits& limits = {});

// Decodes standard base64 (RFC 4648, section 4); padding is optional. nullopt when `s` holds
// another character or has an impossible length.
std::optional<std::string> DecodeBase64(std::string_view s);

// True when `s` reads as text (see FindEncoded).
bool LooksLikeText(std::string_view s);

}  // namespace sg::scan
