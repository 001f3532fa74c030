// The hook's side of delegated bypass (config `bypass = "request"`) and of alert links in
// rejections. Kept out of pre_receive.cc so the hook's flow stays one readable function.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bypass/requests.h"
#include "config/config.h"
#include "git/ref_updates.h"
#include "git/repository.h"
#include "inspect/detection.h"
#include "report/report.h"
#include "store/store.h"

namespace sg::cli {

// "owner/repo" of a repository at <root>/owner/repo.git, as `secretgate serve` names it.
std::string ServedName(const std::string& git_dir);

// Per alert number: "#12 <serve_url>/owner/repo/security/secret-scanning/12", or "#12" without
// serve_url; "" for 0 (no alert recorded).
std::vector<std::string> AlertLinks(const config::Config& cfg, const std::string& git_dir,
                                    const std::vector<int64_t>& alerts);

struct DelegatedBypass {
  // An approved, still valid request of this pusher covers every blocking alert: let it through.
  std::optional<bypass::BypassRequest> approved;
  std::vector<std::string> notes;  // lines for the pusher (request filed, how to ask, or why not)
};

// Decides a push that is about to be rejected when bypass requests are on. `alerts` are the
// blocking detections' alert numbers (0 when none was recorded). Files a request when the
// pusher asked with `-o secretgate.bypass-request=why`. Failures are logged and told to the
// pusher; they never let a push through.
DelegatedBypass DecideDelegatedBypass(const config::Config& cfg, const std::string& git_dir,
                                      const std::string& pusher,
                                      const std::vector<std::string>& push_options,
                                      const std::vector<git::RefUpdate>& updates,
                                      const std::vector<const inspect::Detection*>& blocking,
                                      const std::vector<int64_t>& alerts);

// The bypass recorded on the alerts when an approved request lets a push through.
store::Bypass ApprovedBypass(const bypass::BypassRequest& r, const std::string& pusher);

// Per detection flagged in `flags` (or whose mode is `mode`), in order: its alert number (0 when
// none was recorded). The order is that of the blocking (or warning) list the hook prints.
std::vector<int64_t> FlaggedAlerts(
    const std::vector<bool>& flags,
    const std::vector<std::optional<store::RecordOutcome>>& outcomes);
std::vector<int64_t> FlaggedAlerts(
    const std::vector<std::string>& modes, std::string_view mode,
    const std::vector<std::optional<store::RecordOutcome>>& outcomes);

// The whole step for pre_receive: decides (DecideDelegatedBypass) and adds its lines to `notes`;
// when an approved request covers the push, records the bypass on its alerts (one durable
// append, or the pending spool when the store cannot take it) and sets the verdict and decision.
// Returns true when the push may go through; an error only when the bypass could be neither
// recorded nor spooled (a bypass nobody can ever see was granted is not granted).
Result<bool> ApplyDelegatedBypass(
    const git::Repository& repo, const config::Config& cfg, const std::string& pusher,
    const std::vector<std::string>& push_options, const std::vector<git::RefUpdate>& updates,
    const std::vector<inspect::Detection>& detections, const std::vector<bool>& blocks,
    const std::vector<std::optional<store::RecordOutcome>>& outcomes, report::PusherOptions& popts,
    std::vector<std::string>& notes, std::string& decision);

}  // namespace sg::cli
