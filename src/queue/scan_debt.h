// The scan-debt queue: objects a push brought in that the hook could not scan before its
// deadline. Each entry is one JSON file in <git-dir>/secretgate/debt/, written durably
// (temporary file, fsync, rename, fsync directory) before the hook answers git, and removed by
// `secretgate drain` only after its findings are recorded. Entries are plain JSON:
//   {"version":1,"created_at":"...","pushed_by":"...","push_id":"...",
//    "updates":["<old> <new> <ref>",...],"objects":["<oid>",...]}
#pragma once

#include <string>
#include <vector>

#include "util/status.h"

namespace sg::queue {

struct Debt {
  std::string id;  // file name inside the queue directory (set by Enqueue / List)
  std::string created_at;
  std::string pushed_by;
  std::string push_id;  // the push's id in the log (cli/push_log.h); empty in older entries
  std::vector<std::string> updates;  // ref-update lines as git gave them
  std::vector<std::string> objects;  // object ids still to scan
};

// Adds `debt` to the queue in `dir` (created 0700). Sets debt.id.
Status Enqueue(const std::string& dir, Debt& debt);

// Entries in creation order. An entry that does not parse is reported as Corruption naming it.
Result<std::vector<Debt>> List(const std::string& dir);

Status Remove(const std::string& dir, const std::string& id);

// The queue directory of the repository whose git directory is `git_dir`.
std::string QueueDir(const std::string& git_dir);

// True when the queue in `dir` holds an entry (a readdir, no parsing: the post-receive hook
// asks after every push).
bool HasEntries(const std::string& dir);

// The git directories at or below `root` (bare "<repo>", or "<repo>/.git" of a work tree, at
// most three levels down, as in /srv/git/owner/repo.git) whose queue holds an entry, sorted.
// Symbolic links are not followed. NotFound when `root` is not a directory.
Result<std::vector<std::string>> FindQueued(const std::string& root);

// Holds an exclusive flock on `<dir>/drain.lock` while alive, so that concurrent drains (hook,
// cron) never scan the same entry at the same time. The kernel drops it if the holder dies.
class DrainLock {
 public:
  static Result<DrainLock> Acquire(const std::string& dir);
  DrainLock(DrainLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  DrainLock& operator=(DrainLock&&) = delete;
  ~DrainLock();

 private:
  explicit DrainLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace sg::queue
