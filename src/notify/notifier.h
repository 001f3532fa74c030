// One run of `secretgate notify` over one store: delivers every event after each sink's cursor
// (the journal is the outbox: src/store/FORMAT.md, src/notify/FORMAT.md) and every pending
// partner notification, then stops. Safe to run at any time and concurrently with itself, with
// pushes and with the CLI:
//   * each sink is handled under its own flock; a run that finds a sink locked skips it, so two
//     runs never deliver the same sink's events at the same time;
//   * a sink's cursor moves, durably, only after its receiver accepted the event (at-least-once:
//     a crash between acceptance and the cursor write delivers that one event again);
//   * a failed attempt stops that sink for this run and schedules the next attempt with
//     exponential backoff; other sinks carry on. Nothing is ever dropped or skipped.
// Nothing here runs inside a push: the hook only appends to the journal and, for partner
// endpoints, writes the partner outbox.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "notify/config.h"
#include "notify/sinks.h"
#include "util/status.h"

namespace sg::notify {

struct RunOptions {
  bool retry_now = false;        // ignore backoff: attempt failing sinks now
  std::string partner_key_path;  // the signing key (created on first use)
  std::function<int64_t()> now;  // unix seconds; default: the system clock
};

struct SinkOutcome {
  std::string name;
  std::string kind;  // webhook | command | partner
  int delivered = 0;
  int failed = 0;
  bool busy = false;         // another run holds the sink's lock
  bool backing_off = false;  // not due yet
  std::string error;         // the last failure
};

struct StoreOutcome {
  std::string store_dir;
  std::string repository;
  std::string store_id;
  std::vector<SinkOutcome> sinks;
  std::string problem;  // the journal is damaged from here on (delivery stopped before it)
  int delivered() const;
  int failed() const;
};

// The journal sinks `config` describes, in config order (webhooks, then commands).
std::vector<std::unique_ptr<Sink>> MakeSinks(const NotifyConfig& config);

// Delivers what is due in the store at `store_dir` to `sinks` and to the configured partners.
Result<StoreOutcome> NotifyStore(const NotifyConfig& config, const std::string& store_dir,
                                 std::vector<std::unique_ptr<Sink>>& sinks,
                                 const RunOptions& options);

// True when some sink (or partner) of `config` has something to deliver in this store and is
// not backing off: cheap (a stat and a few small files), for the post-receive hook to decide
// whether to start a background run.
bool HasDue(const NotifyConfig& config, const std::string& store_dir);

// What `notify --status` shows for one sink of one store.
struct SinkStatus {
  std::string name, kind, target;
  int64_t cursor = -1;       // last seq delivered or filtered out (-1: no cursor yet)
  int64_t pending = 0;       // events (or partner tokens) waiting
  int attempts = 0;          // failures in a row
  std::string next_attempt;  // RFC 3339, empty when not failing
  std::string first_failure, last_error;
};

struct StoreStatus {
  std::string store_dir, repository;
  int64_t last_seq = 0;  // the journal's last committed record
  std::vector<SinkStatus> sinks;
  std::string problem;
};

Result<StoreStatus> StatusOf(const NotifyConfig& config, const std::string& store_dir);

}  // namespace sg::notify
