// Delegated bypass requests: a pusher stopped by push protection asks for an exception
// (`git push -o secretgate.bypass-request="why"`), a reviewer approves or denies it, and an
// approved request lets the same alerts through for that pusher for a while.
//
// Requests live in `<store dir>/bypass-requests.jsonl` beside the alert journal of the same
// repository: a journal of their own with the alert journal's framing (seq, batch, end, prev,
// sum; src/bypass/FORMAT.md), so the alert journal's format is unchanged. Every append takes an
// exclusive flock on `bypass-requests.lock`, cuts back a torn tail, appends one record and
// fsyncs before returning. Files are opened with openat/O_NOFOLLOW in the store directory, with
// the store's own modes (0600, or 0660 in a setgid group-shared store directory), and root never
// writes into a store directory of another user (as the alert store, src/store/store.h).
//
// Not thread-safe: use one BypassJournal per thread (they are cheap: the file is small and read
// whole on every call).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/file_util.h"
#include "util/status.h"

namespace sg::bypass {

inline constexpr std::string_view kJournalFile = "bypass-requests.jsonl";

struct BypassRequest {
  int64_t number = 0;
  std::string repository;  // as in the alert store's header
  std::string requester, comment, created_at, expires_at;
  std::vector<std::string> refs, commits, paths, rules;
  std::vector<int64_t> alerts;  // the blocking alerts the request covers
  // "pending" | "approved" | "denied" | "expired" (pending past expires_at)
  std::string status;
  std::string reviewer, review_comment, reviewed_at;
  std::string valid_until;  // approved: the pusher may push these alerts until then
};

struct NewRequest {
  std::string requester, comment;
  std::vector<std::string> refs, commits, paths, rules;
  std::vector<int64_t> alerts;
};

struct Durations {
  std::chrono::seconds expiry = std::chrono::hours(24 * 7);  // a pending request expires
  std::chrono::seconds window = std::chrono::hours(24 * 7);  // an approval lasts
};

class BypassJournal {
 public:
  // Opens the journal in `store_dir` (an alert store's directory, which must exist). With
  // `create`, a missing journal is created on the first append (header naming `repository`);
  // without, appending to a missing journal is NotFound. A missing journal reads as empty.
  static Result<BypassJournal> Open(const std::string& store_dir, const std::string& repository,
                                    bool create);

  // Files a request: Invalid on an empty comment or no alerts.
  Result<BypassRequest> File(const NewRequest& request, std::chrono::system_clock::time_point now,
                             const Durations& d);
  // Approves or denies a pending request. NotFound (unknown number); Conflict (already reviewed,
  // or expired); Invalid when `reviewer` is the requester.
  Result<BypassRequest> Review(int64_t number, bool approve, std::string_view reviewer,
                               std::string_view comment, std::chrono::system_clock::time_point now,
                               const Durations& d);

  // Every request by ascending number, with status as of `now`. Corruption when damaged before
  // its last line (a torn last line is ignored).
  Result<std::vector<BypassRequest>> List(std::chrono::system_clock::time_point now);
  Result<BypassRequest> Get(int64_t number, std::chrono::system_clock::time_point now);

  // An approved request of `pusher`, valid at `now`, that covers every alert of `alerts`.
  Result<std::optional<BypassRequest>> FindApproved(std::string_view pusher,
                                                    const std::vector<int64_t>& alerts,
                                                    std::chrono::system_clock::time_point now);

 private:
  BypassJournal(store::Dir dir, store::FileModes modes, std::string repository)
      : dir_(std::move(dir)), modes_(modes), repository_(std::move(repository)) {}
  struct Loaded;
  Result<Loaded> Load(std::chrono::system_clock::time_point now, bool repair);
  Status Append(const Loaded& at, const std::string& type, const std::string& fields_json);
  // The writer's lock, held while the returned pair lives.
  struct Locked {
    store::Fd fd;
    store::FileLock lock;
  };
  Result<std::unique_ptr<Locked>> Lock();
  store::Dir dir_;
  store::FileModes modes_;
  std::string repository_;
  Status read_only_;  // ok, or why this process must not write here
  bool create_ = false;
};

}  // namespace sg::bypass
