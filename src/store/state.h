// The full derived state of one store: every alert with its locations and timeline, as replayed
// from the journal. Used for reads (List, Get), for Close/Reopen/SetValidity, for Verify, and
// saved as the snapshot. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/event.h"
#include "store/journal.h"
#include "store/store.h"

namespace sg::store {

class State {
 public:
  // Applies one batch. Fails (nothing applied after the failing event) with the reason when an
  // event does not fit the alerts: a number out of sequence, an unknown alert, resolving a
  // resolved alert, a duplicate fingerprint or location. Header events are ignored.
  Status ApplyBatch(std::span<const Event> events, const JournalPos& end);
  Status Apply(const Event& e);

  // Position after the last applied batch.
  const JournalPos& pos() const { return pos_; }
  void set_pos(const JournalPos& pos) { pos_ = pos; }

  const std::vector<Alert>& alerts() const { return alerts_; }
  const Alert* Get(int64_t number) const;
  std::optional<int64_t> FindByFingerprint(const std::string& fingerprint_hex) const;

  // For the snapshot decoder: adds a fully formed alert (numbers must be 1, 2, ...).
  Status AddDecoded(Alert alert);
  void Reserve(size_t alerts) { alerts_.reserve(alerts); }
  // Moves every alert out, leaving this State unusable (the caller drops it).
  std::vector<Alert> TakeAlerts() && { return std::move(alerts_); }

 private:
  JournalPos pos_;
  std::vector<Alert> alerts_;  // alerts_[n - 1] is alert number n
  // Built on first use: a snapshot load for List should not pay for it.
  mutable std::unordered_map<std::string, int64_t> by_fingerprint_;
  mutable bool by_fingerprint_built_ = false;
  const std::unordered_map<std::string, int64_t>& ByFingerprint() const;
};

// True if two locations are the same place for deduplication (commit, path, start line and
// column, blob). ref, end position and pusher do not count.
bool SameLocation(const Location& a, const Location& b);

}  // namespace sg::store
