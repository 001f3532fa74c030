// Turning detections into alerts: opens the repository's store and records one observation per
// location of every (unsuppressed) detection in a single durable append. When the store cannot
// take them, the findings go to the pending-records spool (queue/pending.h) instead, and every
// successful open of a store applies what its repository's spool holds.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "git/repository.h"
#include "inspect/detection.h"
#include "store/store.h"

namespace sg::cli {

struct RecordContext {
  std::string actor;      // who the timeline names
  std::string pushed_by;  // recorded on locations; empty outside a push
  std::optional<store::Bypass> bypass;
  // Per detection: whether a bypass applies to it (same length as detections, or empty: all).
  std::vector<bool> bypassed;
};

// How the store of the repository at `git_dir` is opened under `cfg` (its own
// <git-dir>/secretgate, or the server-wide root).
store::OpenOptions StoreOptionsAt(const std::string& git_dir, const config::Config& cfg);

// The store of `repo` under `cfg`, with the repository's pending records applied (logged).
Result<store::Store> OpenStore(const git::Repository& repo, const config::Config& cfg);
Result<store::Store> OpenStoreAt(const std::string& git_dir, const config::Config& cfg);
// A store found by directory (store::FindStores), with its repository's pending records applied
// when the store takes writes.
Result<store::Store> OpenStoreDir(const std::string& store_dir, const config::Config& cfg);

// Applies the pending records of the repository whose store is `store_dir`, if it has any (a
// directory listing when it has none): for commands that read a store without opening it.
void ApplyPendingForStoreDir(const std::string& store_dir, const config::Config& cfg);

// Applies the pending records of the repository at `git_dir` to `st` (already open). Returns how
// many entries were applied; entries that cannot be read or recorded stay, and are logged.
int ApplyPending(const std::string& git_dir, const config::Config& cfg, store::Store& st);

struct RecordResult {
  // Per detection: the outcome of its first location, or nullopt for a suppressed detection or
  // when nothing could be recorded.
  std::vector<std::optional<store::RecordOutcome>> outcomes;
  Status status;         // ok, or why the store could not record these findings
  bool spooled = false;  // not ok, and the findings were saved to the pending spool instead
  Status spool_status;   // why saving them to the spool failed too, when it did
  size_t recorded = 0;   // observations handed to the store or the spool
};

// Records `detections` (suppressed ones are skipped). When the store cannot be opened or refuses
// the append, the observations are written to the pending spool of `repo` (durably, secrets
// sealed) and `status` says why the store failed.
// When a new alert's rule has a provider with a partner endpoint in the config file, its plain
// secret is then written, durably, to the store's partner outbox for `secretgate notify` (the
// admin-opted-in exception to "no plain secrets on disk"; README.md). A failure there is logged
// and does not fail the recording.
RecordResult RecordDetections(const git::Repository& repo, const config::Config& cfg,
                              const std::vector<inspect::Detection>& detections,
                              const RecordContext& ctx);

}  // namespace sg::cli
