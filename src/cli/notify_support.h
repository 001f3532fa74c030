// What the hooks need from `secretgate notify` without running it: where a repository's store
// and partner key are, and whether a background run has anything to do.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "notify/config.h"
#include "util/status.h"

namespace sg::cli {

struct NotifyTarget {
  std::string store_dir;    // the directory holding the journal
  std::string partner_key;  // the partner signing key file
};

// The store and key of the repository at `git_dir` under `cfg` and `ncfg`.
Result<NotifyTarget> NotifyTargetFor(const std::string& git_dir, const config::Config& cfg,
                                     const notify::NotifyConfig& ncfg);

// What the post-receive hook should start `secretgate notify --store DIR --log FILE` for.
struct DueNotify {
  std::string store_dir;
  std::string log_file;
};

// Set when the config file enables it (after_push) and some sink or partner has something due
// in the store of the repository at `git_dir`. `cfg` is the repository's settings when the
// caller has them; without them they are read from the config file alone, and libgit2 (whose
// start-up parses a CA bundle: milliseconds) is used only if a git config file the repository
// reads could move its store. Sets up logging to the log file. Any error (a broken config) is
// logged and answers nullopt: notifications never break a push.
std::optional<DueNotify> NotifyDueAfterPush(const std::string& git_dir, const config::Config* cfg);

}  // namespace sg::cli
