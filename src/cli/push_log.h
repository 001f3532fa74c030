// The log events of one push (README.md, "Logging", lists them with their fields). Every event
// carries the push's id, so that its findings, errors and summary can be joined in a log system.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/record.h"
#include "git/ref_updates.h"
#include "inspect/detection.h"
#include "policy/policy.h"
#include "util/status.h"

namespace sg::cli {

// What the `push` event says about a push, once it is decided.
struct PushSummary {
  std::string repository;
  std::vector<git::RefUpdate> updates;
  policy::Identity pusher;
  inspect::ScanStats stats;
  size_t findings = 0, blocking = 0, warning = 0, suppressed = 0;
  size_t below_block_confidence = 0;  // warning only because block_confidence is higher
  std::string recorded;         // yes, spooled, off or FAILED
  std::vector<int64_t> alerts;  // the alerts this push's findings were recorded as
  std::string decision;
  bool quarantine = false;
  int64_t duration_ms = 0;
};

class PushLog {
 public:
  // A push with a fresh random id (16 hex digits).
  PushLog();
  // The push `id` names (a drain logs the findings of the push that queued them).
  explicit PushLog(std::string id) : id_(std::move(id)) {}
  const std::string& id() const { return id_; }

  // How long a phase took (debug level).
  void Phase(std::string_view phase, double ms, std::string_view detail = "") const;
  // The hook could not do its work; `fail_closed` says what became of the push.
  void InternalError(const Status& status, bool fail_closed) const;
  void Exclusions(size_t count, std::string_view file, std::string_view branch) const;
  void ExclusionsUnreadable(std::string_view file, std::string_view branch,
                            const Status& why) const;
  // A finding an inline marker or an exclusion suppressed.
  void Suppressed(const inspect::Detection& d) const;
  void BypassRequested(const policy::Identity& pusher, std::string_view reason,
                       std::string_view verdict) const;
  void RecordingFailed(const RecordResult& r) const;
  void Deadline(double timeout_seconds, size_t objects, std::string_view debt) const;
  // A finding with its mode (block, warn, audit or resolved) and what became of it:
  // `recorded.outcomes[index]` is its alert (`recorded` is empty when `store` is off).
  void Finding(const inspect::Detection& d, std::string_view mode, const RecordResult& recorded,
               size_t index, bool store) const;
  void Push(const PushSummary& s) const;

 private:
  std::string id_;
};

}  // namespace sg::cli
