// Validity checks: asks a provider, through the verifier the admin configured for it, whether a
// secret is still active. Run by `secretgate verify`, never by the hook.
#pragma once

#include <string>
#include <string_view>

#include "notify/config.h"

namespace sg::notify {

struct Verdict {
  std::string validity;  // active | inactive | unknown
  std::string why;       // for the person running verify and the log; never the secret
};

// A command verifier gets the secret and a newline on stdin: exit 0 is active, 1 inactive,
// anything else (or a timeout) unknown. An HTTP verifier sends the request with {{secret}}
// replaced in header values and the body: a status in active_status is active, in
// inactive_status inactive, anything else (or no answer) unknown.
Verdict RunVerifier(const VerifierConfig& verifier, std::string_view secret);

}  // namespace sg::notify
