// Checks that decide whether a regex match is a real secret: checksums, placeholders, inline
// allow markers. Pure functions, no state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rules/rule.h"

namespace sg::scan {

uint32_t Crc32(std::string_view data);

// Base62 (0-9A-Za-z) of `value`, left-padded with '0' to `width`.
std::string Base62(uint32_t value, size_t width);

// GitHub's and npm's token checksum: the last 6 characters are the base62 CRC32 of the 30
// characters before them. Returns true when the checksum holds.
bool ValidCrc32Token(std::string_view token);

// True when `validator` (a rule's `validator` field) accepts `secret`; true when empty.
bool PassesValidator(std::string_view validator, std::string_view secret);

// Names the reason when `secret` looks like a placeholder, a template or variable reference,
// a documented example value, or a name in code (`NotifyAgentReplicationProgress`,
// `get_user_profile_settings`: words, not random characters); and, when `generic` (a rule that matches any value assigned to
// a key such as "password"), a git object id, hash, UUID or integrity hash, which such rules
// would otherwise take. Empty when it looks like a real secret.
std::string_view PlaceholderReason(std::string_view secret, bool generic);

// `s` with every %XX escape decoded (URL userinfo: `pass%40word` is `pass@word`), so that the
// placeholder filter and allowlists judge what the escapes stand for. `s` itself when it holds
// no valid escape.
std::string PercentDecoded(std::string_view s);

// True when `s` holds a decimal digit.
bool HasDigit(std::string_view s);

// True when `keyword` (lower case) occurs in `text`, case-insensitively, not preceded by a
// letter: "sendbird" in `SENDBIRD_TOKEN` or `app.sendbirdKey`, not "line" in `PIPELINE_TOKEN`.
bool KeywordStartsWord(std::string_view text, std::string_view keyword);

// Names the inline marker found on `line` ("secretgate:allow", "gitleaks:allow",
// "pragma: allowlist secret"), or empty.
std::string_view InlineMarker(std::string_view line);

// True when `line` holds detect-secrets' "pragma: allowlist nextline secret".
bool NextLineMarker(std::string_view line);

}  // namespace sg::scan
