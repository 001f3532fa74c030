// Turning detections into alerts: opens the repository's store and records one observation per
// location of every (unsuppressed) detection in a single durable append.
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

// The store of `repo` under `cfg` (its own <git-dir>/secretgate, or the server-wide root).
Result<store::Store> OpenStore(const git::Repository& repo, const config::Config& cfg);
Result<store::Store> OpenStoreAt(const std::string& git_dir, const config::Config& cfg);

// Records `detections` (suppressed ones are skipped). Returns, per detection, the outcome of its
// first location, or nullopt for a suppressed detection.
// When a new alert's rule has a provider with a partner endpoint in the config file, its plain
// secret is then written, durably, to the store's partner outbox for `secretgate notify` (the
// admin-opted-in exception to "no plain secrets on disk"; README.md). A failure there is logged
// and does not fail the recording.
Result<std::vector<std::optional<store::RecordOutcome>>> RecordDetections(
    const git::Repository& repo, const config::Config& cfg,
    const std::vector<inspect::Detection>& detections, const RecordContext& ctx);

}  // namespace sg::cli
