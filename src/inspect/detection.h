// A finding placed in its repository: which blob, commit, path and ref hold it.
#pragma once

#include <string>
#include <vector>

#include "scan/finding.h"

namespace sg::inspect {

struct Origin {
  std::string commit_sha;    // empty outside git
  std::string path;          // empty for commit and tag messages
  std::string ref;           // the ref a push updates; empty in scans
  bool root_commit = false;  // the commit has no parent (rewriting it takes rebase --root)
};

enum class Where { kFile, kCommitMessage, kTagMessage };

struct Detection {
  scan::Finding finding;
  Where where = Where::kFile;
  std::string blob_sha;  // the object holding the secret (blob, commit or tag); empty outside git
  // Every place the object appears, earliest first; the first is where the pusher fixes it.
  std::vector<Origin> origins;

  const Origin* primary() const { return origins.empty() ? nullptr : &origins.front(); }
  bool suppressed() const { return !finding.suppressed_by.empty(); }
};

// Counters for the log's summary line.
struct ScanStats {
  size_t objects = 0;
  size_t blobs_scanned = 0;
  size_t bytes_scanned = 0;
  size_t commits = 0;
  size_t tags = 0;
  size_t skipped_binary = 0;
  size_t skipped_large = 0;
  size_t unscanned = 0;  // left for later because the deadline passed
  // Candidates whose confirmation was given up: at PCRE2's match limit, or at the deadline
  // (their objects are then queued with the unscanned ones).
  size_t given_up_match_limit = 0;
  size_t given_up_deadline = 0;

  void Add(const ScanStats& o) {
    given_up_match_limit += o.given_up_match_limit;
    given_up_deadline += o.given_up_deadline;
    objects += o.objects;
    blobs_scanned += o.blobs_scanned;
    bytes_scanned += o.bytes_scanned;
    commits += o.commits;
    tags += o.tags;
    skipped_binary += o.skipped_binary;
    skipped_large += o.skipped_large;
    unscanned += o.unscanned;
  }
};

}  // namespace sg::inspect
