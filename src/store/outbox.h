// The journal read as an outbox (FORMAT.md, "The journal as an outbox"): every record after a
// notifier's cursor is an event to deliver. Reading takes no lock (appends never rewrite earlier
// bytes) and stops before an append whose `end` record is not there yet, so a notifier never
// sees half of a push. Read-only: nothing here writes to the store.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/event.h"
#include "store/journal.h"
#include "store/store.h"
#include "util/status.h"

namespace sg::store {

// What the journal's first line says, and how long the file is now.
struct OutboxHeader {
  std::string store_id;
  std::string repository;
  uint64_t journal_size = 0;
};

// NotFound when the store has no journal yet (nothing was ever recorded). Without
// `check_sum`, the header line's checksum is not verified (no SHA-256: OpenSSL's start-up
// costs the hooks milliseconds); ReadOutbox verifies everything it delivers.
Result<OutboxHeader> ReadOutboxHeader(const std::string& store_dir, bool check_sum = true);

// True if the journal in `store_dir` still holds, at that place, the record `pos` describes.
Result<bool> OutboxPosValid(const std::string& store_dir, const JournalPos& pos);

// One event handed to a visitor. `event` and `alert` are valid only during the call.
struct OutboxItem {
  const Event* event = nullptr;
  // The alert the event is about, as it stood after the whole append that wrote the event (so a
  // `created` alert already has its first location, and a bypass shows its resolution).
  const Alert* alert = nullptr;
  // The position just after the append this event belongs to, and the end of the append before
  // it: a cursor that has delivered every event of the append may move to `batch_end`.
  JournalPos batch_end;
  JournalPos batch_start;
  bool last_in_batch = false;
};

// Return false to stop reading.
using OutboxVisitor = std::function<bool(const OutboxItem&)>;

struct OutboxReadResult {
  OutboxHeader header;
  JournalPos committed;           // after the last complete append read
  std::optional<Problem> damage;  // events at and after this line were not delivered
};

// Replays the journal in `store_dir` from the start (to know each alert's state) and calls
// `visit` for every event whose seq is greater than `after_seq`, in journal order. The header is
// never visited. A damaged journal is reported in the result, after the events before it.
Result<OutboxReadResult> ReadOutbox(const std::string& store_dir, int64_t after_seq,
                                    const OutboxVisitor& visit);

}  // namespace sg::store
