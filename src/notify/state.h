// What `secretgate notify` keeps on disk, per store, in `<store>/notify/` (0700; files 0600):
// one cursor, one retry state and one lock per sink, and the delivery log. Formats are specified
// in src/notify/FORMAT.md. Cursor and retry files are replaced durably (temporary file, fsync,
// rename, fsync of the directory); a damaged one reads as absent, which at worst delivers again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/journal.h"
#include "util/status.h"

namespace sg::notify {

inline constexpr std::string_view kStateDirName = "notify";
inline constexpr std::string_view kDeliveryLogName = "deliveries.jsonl";
// The delivery log is renamed to "deliveries.jsonl.1" (replacing an older one) past this size.
inline constexpr uint64_t kDeliveryLogMaxBytes = 8 << 20;

// "<store>/notify".
std::string StateDir(const std::string& store_dir);

// Where a sink stands in one store's journal: every event up to `seq` was delivered (or did not
// pass its filter). `batch` is the end of the last append whose events are all at or before
// `seq`: it proves the journal is still the one the cursor was written for (store::CheckPos)
// and tells, by comparing with the journal's size, whether anything is pending.
struct Cursor {
  std::string store_id;
  int64_t seq = 0;
  store::JournalPos batch;
};

// nullopt when the sink has no cursor yet (or it is unreadable: logged).
std::optional<Cursor> LoadCursor(const std::string& store_dir, std::string_view sink);
Status SaveCursor(const std::string& store_dir, std::string_view sink, const Cursor& cursor);

// A sink whose last attempt failed: how often in a row, and when to try again.
struct RetryState {
  int attempts = 0;
  int64_t next_attempt = 0;   // unix seconds
  std::string first_failure;  // RFC 3339
  std::string last_error;     // no secrets, no bodies
  int64_t seq = -1;           // the event that failed (-1: a partner batch)
};

std::optional<RetryState> LoadRetry(const std::string& store_dir, std::string_view sink);
Status SaveRetry(const std::string& store_dir, std::string_view sink, const RetryState& state);
Status ClearRetry(const std::string& store_dir, std::string_view sink);

// Seconds to wait after the `attempts`-th failure in a row: initial * 2^(attempts-1), capped.
int64_t BackoffSeconds(int attempts, double initial, double max);

// True when a sink with this retry state may be attempted at `now` (unix seconds).
bool IsDue(const std::optional<RetryState>& retry, int64_t now, bool ignore_backoff = false);

// Counts one more failure of `sink`, saves it with the time of the next attempt (backoff from
// `initial` doubling up to `max` seconds), logs it, and returns the new state.
RetryState RecordFailure(const std::string& store_dir, std::string_view sink,
                         std::optional<RetryState> retry, int64_t seq, const std::string& error,
                         int64_t now, double initial, double max);

// An exclusive flock(2) on "<store>/notify/<sink>.lock", so that concurrent runs of notify (the
// hook's, cron's, a person's) never deliver one sink's events at the same time. The kernel
// drops it when the holder dies.
class SinkLock {
 public:
  // nullopt when another process holds it.
  static Result<std::optional<SinkLock>> TryAcquire(const std::string& store_dir,
                                                    std::string_view sink);
  SinkLock(SinkLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  SinkLock& operator=(SinkLock&&) = delete;
  SinkLock(const SinkLock&) = delete;
  ~SinkLock();

 private:
  explicit SinkLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// One line of the delivery log. Holds no secret, no header and no body.
struct DeliveryRecord {
  std::string at;
  std::string sink, kind;  // kind: webhook | command | partner
  std::string event;       // event type, or "partner" for a partner POST
  int64_t seq = -1;
  int64_t alert = 0;
  int count = 1;         // tokens in a partner POST
  std::string delivery;  // the delivery id
  std::string outcome;   // delivered | failed
  long http_status = 0;
  int exit_code = -1;
  int attempt = 1;
  int64_t duration_ms = 0;
  std::string error;
  std::string token;  // a partner token, written redacted only
};

// Appends one JSON line to "<store>/notify/deliveries.jsonl" (O_APPEND), rotating it when large.
Status AppendDeliveryLog(const std::string& store_dir, const DeliveryRecord& record);
// The same; a failure is only logged (the log must never stop a delivery).
void LogDelivery(const std::string& store_dir, const DeliveryRecord& record);

// "<name>" with every byte outside [A-Za-z0-9._-] replaced, for file names.
std::string SafeFileName(std::string_view name);

// 8 lower-case hex digits of CRC-32C: the checksum of framed notification files, and the
// default names of sinks. Damage detection only (no OpenSSL: the hooks read these files, and
// OpenSSL's start-up costs milliseconds).
std::string ShortChecksum(std::string_view data);

}  // namespace sg::notify
