// The alert store: a flat-file, append-only record of secret-scanning alerts for one repository.
//
// The truth is a JSON Lines journal (`journal.jsonl`, specified in src/store/FORMAT.md) in which
// every line is one event (created, location_created, resolved, ...) with a SHA-256 checksum and
// a hash chain. Everything else in the store directory (index.bin, snapshot.bin, stamp) is derived
// from the journal, validated against it on use, and rebuilt from it when stale or damaged.
//
// Alerts follow the GitHub secret-scanning model (field names, states, resolutions); see
// REFERENCE.md. The store knows nothing of rules, regexes or git: callers hand it observations.
//
// Concurrency: any number of processes may use one store at once. Every operation takes an
// exclusive flock(2) on `<store>/lock` (bounded by OpenOptions::lock_timeout), reads what other
// processes appended since, and only then decides and appends. A Store object itself is not
// thread-safe: use one per thread, or guard it.
//
// Errors: every function returns Status/Result; nothing throws. Codes used: kInvalid (bad
// argument), kNotFound (unknown alert number), kConflict (closing a resolved alert, reopening an
// open one, store belongs to another repository), kCorruption (journal damaged inside its
// acknowledged part; the message names file and line), kPermission (a read-only Store asked to
// write), kIOError (the OS said no, lock timeout, or an earlier write/fsync of this Store
// failed: after that every later write fails).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sg::store {

// Where a secret was seen. An empty string is JSON null for commit_sha, blob_sha, ref, pushed_by
// (a scan of a working tree has no commit). Lines and columns are 1-based, columns in bytes.
struct Location {
  std::string commit_sha, path, blob_sha, ref, pushed_by, pushed_at;
  int start_line = 0, end_line = 0, start_column = 0, end_column = 0;
  bool operator==(const Location&) const = default;
};

// One entry of an alert's history. `detail` carries the event's value: the resolution for
// "resolved", the bypass reason for "push_protection_bypassed", the validity for "validated",
// "<path>:<start_line>" for "location_created"; empty otherwise. Empty strings are JSON null.
struct TimelineEvent {
  std::string event, actor, at, comment, detail;
  bool operator==(const TimelineEvent&) const = default;
};

// An alert as GitHub's REST API shows it. Empty strings mean null. `secret` is set only by a store
// opened with store_secrets. `timeline` lists every event of the alert in journal order, so every
// resolution comment ever written stays visible; `resolution_comment` is the current
// resolution's comment (null while open).
struct Alert {
  int64_t number = 0;
  std::string repository;
  std::string created_at, updated_at;
  std::string state;       // "open" | "resolved"
  std::string resolution;  // "false_positive" | "wont_fix" | "revoked" | "used_in_tests" | ""
  std::string resolution_comment, resolved_by, resolved_at;
  std::string secret_type, secret_type_display_name, provider, secret_redacted;
  std::optional<std::string> secret;
  std::string fingerprint;           // hex HMAC-SHA256(key, rule_id + "\0" + secret)
  // The same HMAC under the server-wide cross_repo_key, when one is configured: equal for the
  // same secret in every store of the server, so listings can tell it sits in several
  // repositories (GitHub's multi_repo). Empty for alerts recorded without that key.
  std::string cross_fingerprint;
  // Set by listings across stores (`alerts list --root`, `serve`): another repository's store
  // holds an alert for the same secret. Never stored.
  bool multi_repo = false;
  std::string validity = "unknown";  // "active" | "inactive" | "unknown"
  std::vector<Location> locations;
  bool push_protection_bypassed = false;
  std::string push_protection_bypassed_by, push_protection_bypassed_at;
  std::vector<TimelineEvent> timeline;
  bool operator==(const Alert&) const = default;
};

// One finding as the scanner saw it. The store hashes `secret` and keeps the plain text only if
// the store was opened with store_secrets. `secret_redacted` must not contain the secret.
struct Observation {
  std::string rule_id, display_name, provider;
  std::string secret;
  std::string secret_redacted;
  Location location;  // an empty pushed_at is set to the time of recording
};

// A push that went through although it held secrets. `reason`: "false_positive" or
// "used_in_tests" (the alert is resolved with that resolution unless already resolved) or
// "will_fix_later" (the alert stays as it is). An empty actor means the actor of Record().
struct Bypass {
  std::string reason, comment, actor;
};

struct RecordOutcome {
  int64_t number = 0;
  bool created = false;  // this call created the alert
  std::string state;     // state after recording: "open" | "resolved"
  bool operator==(const RecordOutcome&) const = default;
};

struct OpenOptions {
  // server_wide == false: the store directory itself (e.g. "<git-dir>/secretgate"); its HMAC key
  // is "<dir>/key". server_wide == true: a root shared by many repositories; the store lives in
  // "<dir>/repos/<sanitized repository>-<12 hex of SHA-256(repository)>/" and the key, shared by
  // all of them, is "<dir>/key". Directories are created (mode 0700) on first use.
  std::string dir;
  bool server_wide = false;
  std::string repository;  // recorded on every alert; required if server_wide
  bool store_secrets = false;
  // The server-wide key (32 bytes) of Alert::cross_fingerprint; empty: none recorded.
  std::string cross_repo_key;
  // Share the store with this group (gid; -1: private to the user). Directories are created
  // setgid 02770 with that group, files 0660, the key 0640: several OS users that are members
  // (the SSH `git` user and the web server's `www-data`) can all record (README "Shared stores").
  int group = -1;
  // Never write: no directory, key or journal is created, no torn tail cut back, no derived file
  // rewritten; every write operation fails. A store that does not exist then reads as empty.
  // Forced when running as root on a store (or, for a new store, a directory) that belongs to
  // another user: root never writes into another user's store (read_only_reason() says why).
  bool read_only = false;
  std::chrono::milliseconds lock_timeout{5000};
  // Clock for timestamps; tests inject one. Default: the system clock.
  std::function<std::chrono::system_clock::time_point()> now;
};

struct Filter {
  std::optional<std::string> state;        // "open" | "resolved"
  std::optional<std::string> secret_type;  // rule id
};

// A problem found by Verify, located by file and 1-based line.
struct Problem {
  std::string file;
  int64_t line = 0;
  std::string reason;
};

struct VerifyReport {
  int64_t records = 0;  // journal lines that passed, header included
  int64_t alerts = 0;
  uint64_t torn_tail_bytes = 0;  // an unacknowledged partial append at the end (not a problem)
  std::vector<Problem> problems;
  bool ok() const { return problems.empty(); }
};

// A torn tail this Store cut back: the unacknowledged remains of an append that never finished.
struct TailCut {
  std::string file;
  int64_t line = 0;     // first line dropped
  uint64_t offset = 0;  // journal length after the cut
  uint64_t dropped_bytes = 0;
  std::string reason;
};

// What Store::Repair did.
struct RepairReport {
  bool repaired = false;        // false: nothing was damaged, nothing was written
  int64_t damaged_line = 0;     // first damaged line (0 when the journal itself was missing)
  std::string copy;             // where the damaged bytes were kept (a file under damaged/)
  int64_t kept_records = 0;     // intact records after the damage that were written again
  int64_t dropped_records = 0;  // intact records after the damage that no longer fit
  int64_t lost_alerts = 0;      // alerts whose records were lost: kept as "lost" placeholders
  int64_t next_seq = 0;         // the seq the repaired journal continues from
};

class Store {
 public:
  // Opens the store, creating directories, key and journal on first use, and cuts back a torn
  // tail: bytes beyond the size the stamp records as acknowledged, and only those (logged with
  // spdlog::warn and listed in repairs()). Damage anywhere else (a bad record inside the
  // acknowledged part, a journal shorter than it, a journal missing next to its derived files)
  // is never cut: the store opens read-only, damage() says where (file:line), writes fail with
  // that Corruption, reads show every intact record, and Verify lists the problems, until a
  // person runs Repair (or restores the journal).
  static Result<Store> Open(const OpenOptions& options);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  // Records all observations of one push or scan in one append (one write, one fsync), so either
  // all of them are durable when this returns or none is. One alert per (rule_id, secret): a
  // repeat adds the location unless identical (commit_sha, path, start_line, start_column,
  // blob_sha), and a resolved alert stays resolved. Returns one outcome per observation, in order.
  // With a bypass, every alert touched gets push_protection_bypassed and a timeline event.
  Result<std::vector<RecordOutcome>> Record(std::span<const Observation> observations,
                                            const std::optional<Bypass>& bypass,
                                            std::string_view actor);

  // Resolves an open alert. Invalid on a reason other than false_positive, wont_fix, revoked,
  // used_in_tests; NotFound on an unknown number; Conflict if already resolved. Nothing is
  // written on error.
  Result<Alert> Close(int64_t number, std::string_view reason, std::string_view comment,
                      std::string_view actor);
  // Reopens a resolved alert; Conflict if it is open.
  Result<Alert> Reopen(int64_t number, std::string_view comment, std::string_view actor);
  // Sets validity ("active" | "inactive" | "unknown") with a "validated" event. Writes nothing
  // when the validity is unchanged.
  Result<Alert> SetValidity(int64_t number, std::string_view validity, std::string_view actor);

  // Alerts by ascending number. Unless this Store already holds every alert (after Get, Close,
  // ...), it loads snapshot.bin plus the journal after it, and hands those alerts over without
  // copying.
  Result<std::vector<Alert>> List(const Filter& filter);
  Result<Alert> Get(int64_t number);
  // Brings this Store up to date with the journal (under the lock) and calls `visit` once with
  // every alert, by ascending number, without copying them, and the seq of the last journal
  // record they reflect (it grows with every append, so a caller can keep what it derived from
  // the alerts until it changes). The server answers a page of a 100,000-alert listing from a
  // long-lived Store this way. The span is valid only during the call; `visit` must not call back
  // into this Store. Keeps the alerts loaded for later calls.
  Status Visit(const std::function<void(std::span<const Alert>, int64_t seq)>& visit);
  // The alert for (rule_id, secret), or nullopt. Writes nothing.
  Result<std::optional<Alert>> FindBySecret(std::string_view rule_id, std::string_view secret);

  // Reads the whole journal: header, checksums, chain, sequence, event consistency; then checks
  // that index.bin and snapshot.bin, where present, agree with it. Reports every problem with
  // file:line (line 0 for the derived files). Never writes. Works on a damaged store.
  Result<VerifyReport> Verify();
  // Rebuilds the derived index and snapshot from a full, verified read of the journal. The
  // journal itself is never rewritten, so no history is dropped. Fails on a damaged journal.
  Status Compact();
  // Repairs a damaged journal (FORMAT.md, "Repair"): copies every byte from the first damaged
  // line on into damaged/, keeps the intact records before it unchanged, then appends a
  // `repaired` record whose seq lies beyond every seq ever acknowledged, the intact records that
  // followed the damage (again, flagged `restored`), and a `lost` placeholder for every alert
  // number whose records were lost, so that no number, seq or delivery id is handed out twice.
  // A missing journal is rebuilt from snapshot.bin the same way. Does nothing on a sound store.
  Result<RepairReport> Repair(std::string_view actor);

  // The directory holding this store's journal.
  const std::string& dir() const;
  // Ok, or the Corruption (file:line) that makes every write fail (reads go on).
  const Status& damage() const;
  // Ok, or why this Store does not write (read_only, or root on another user's store).
  const Status& read_only_reason() const;
  // Torn tails cut back by this Store (at Open or when catching up later).
  const std::vector<TailCut>& repairs() const;

  class Impl;  // store_impl.h; public only so that store/*.cc helpers can name it

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The HMAC fingerprint the store uses for (rule_id, secret) under `key` (32 bytes).
std::string Fingerprint(std::string_view key, std::string_view rule_id, std::string_view secret);

// A JSON object (serialized) with exactly the GitHub field names; null for absent values.
std::string ToJson(const Alert& alert);

// Every store directory under `dir`, sorted: `dir` itself if it is a store, the stores of a
// server-wide root (`dir/repos/*`), and `<repo>/secretgate` (or `<repo>/.git/secretgate`) of
// repositories found up to three levels below `dir`. An empty list is not an error.
Result<std::vector<std::string>> FindStores(std::string_view dir);

// FindStores, and every place that may hold a store but cannot be read (a store directory of
// another user, a folder that cannot be listed), so that a listing can say what it left out.
struct StoreSearch {
  std::vector<std::string> stores;
  std::vector<Problem> unreadable;  // file: the directory; reason: what the OS said
};
Result<StoreSearch> SearchStores(std::string_view dir);

// Sets Alert::multi_repo on every alert of `alerts` (gathered from several stores) whose secret
// has an alert in another repository too: the same fingerprint (stores of one server-wide root
// share its key) or the same cross_fingerprint (any stores recorded with one cross_repo_key).
void MarkMultiRepo(std::vector<Alert>& alerts);

// Options that open the store in `store_dir` (as returned by FindStores): per-repository if the
// directory holds its own key, else server-wide with the root two levels up. The repository name
// comes from the journal header.
Result<OpenOptions> OptionsForStoreDir(std::string_view store_dir);

}  // namespace sg::store
