// The exclusions file (`exclusions_file`, default .secretgate-exclusions) on the default branch,
// and who may change it. A pusher must not exempt their own secrets alone: a version of the file
// counts only once a user allowed to edit exclusions (`exclusions_editors`, by default the
// `bypass_users`) pushed it; until then the last trusted version applies. The versions trusted
// so far are listed, one blob id per line, in <git-dir>/secretgate/exclusions.trusted.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "git/ref_updates.h"
#include "git/repository.h"

namespace sg::cli {
class PushLog;
}

namespace sg::cli {

// The path globs of the trusted exclusions file on the default branch as it is before this push.
// When no version was ever trusted (secretgate meets the repository for the first time), the
// version present then is trusted, and so recorded.
std::vector<std::string> TrustedExclusions(const git::Repository& repo, const config::Config& cfg,
                                           const PushLog* events = nullptr);

// Called for a push secretgate accepts: when it changes the exclusions file on the default
// branch, the new version is trusted if `pusher` may edit exclusions, and otherwise logged as
// not honoured (and the pusher told, in the returned note).
std::string NoteExclusionsChange(const git::Repository& repo, const config::Config& cfg,
                                 const std::vector<git::RefUpdate>& updates,
                                 const std::string& pusher);

}  // namespace sg::cli
