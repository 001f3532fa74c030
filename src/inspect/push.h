// Scanning what a push adds, and scanning whole histories and directories.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "git/ref_updates.h"
#include "git/repository.h"
#include "inspect/detection.h"
#include "scan/engine.h"

namespace sg::inspect {

struct ScanOptions {
  int64_t max_blob_size = 10 << 20;
  // When set, objects not reached by then are listed in `unscanned` instead of being read.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::vector<std::string> exclude_paths;  // globs; matching findings are suppressed
  // The refs of the push already hold their new values (a drain after the push was accepted).
  bool refs_updated = false;
  // Scans of histories and directories: reader threads (0: one per core), and a counter of the
  // bytes read so far that another thread may watch (a progress line), or null.
  unsigned threads = 0;
  std::atomic<uint64_t>* progress = nullptr;
};

struct ScanResult {
  std::vector<Detection> detections;  // suppressed ones included, flagged
  ScanStats stats;
  std::vector<std::string> unscanned;  // object ids left for `secretgate drain`
  bool from_quarantine = false;
};

// Scans every new blob of the push, and the messages of its new commits and annotated tags.
// Blobs with findings are then mapped to commit, path and ref (only those blobs).
Result<ScanResult> ScanPush(const git::Repository& repo, const std::vector<git::RefUpdate>& updates,
                            scan::Scanner& scanner, const ScanOptions& options);

// Scans the listed objects (blobs, commits, tags) of `repo`, e.g. a queued scan debt.
// Origins are found by `MapBlobs` over `updates`.
Result<ScanResult> ScanObjects(const git::Repository& repo, const std::vector<git::RefUpdate>& updates,
                               const std::vector<std::string>& object_ids, scan::Scanner& scanner,
                               const ScanOptions& options);

}  // namespace sg::inspect
