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

// The store of `repo` under `cfg` (its own <git-dir>/secretgate, or the server-wide root).
Result<store::Store> OpenStore(const git::Repository& repo, const config::Config& cfg);
Result<store::Store> OpenStoreAt(const std::string& git_dir, const config::Config& cfg);

// Records `detections` (suppressed ones are skipped). Returns, per detection, the outcome of its
// first location, or nullopt for a suppressed detection.
Result<std::vector<std::optional<store::RecordOutcome>>> RecordDetections(
    const git::Repository& repo, const config::Config& cfg,
    const std::vector<inspect::Detection>& detections, const RecordContext& ctx);

}  // namespace sg::cli
