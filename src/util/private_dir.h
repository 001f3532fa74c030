// A directory that holds private state (API tokens, bypass requests), opened once and then used
// only through its descriptor: every file in it is opened with openat(2) and O_NOFOLLOW, so a
// symlink planted in the directory cannot redirect a read or a write elsewhere, and replacing
// the directory's path after it was opened changes nothing for this object.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>

#include "util/status.h"

namespace sg {

// An owned descriptor (closed on destruction). Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// An exclusive flock(2) on a file of a PrivateDir, released on destruction.
class DirLock {
 public:
  DirLock(DirLock&&) noexcept = default;
  DirLock& operator=(DirLock&&) noexcept = default;
  ~DirLock();

 private:
  friend class PrivateDir;
  explicit DirLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

class PrivateDir {
 public:
  // Opens `path` (creating it and missing parents, mode 0700, when `create`). The last component
  // must be a real directory, not a symlink, owned by this user and not writable by group or
  // others: a directory someone else can write into cannot keep a secret. NotFound when missing
  // and not created.
  static Result<PrivateDir> Open(const std::string& path, bool create);

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

  // The whole file `name`; NotFound if missing. A symlink is an IOError (ELOOP).
  Result<std::string> Read(std::string_view name) const;
  // Replaces `name` with `data` (mode 0600): unique temporary file (O_EXCL|O_NOFOLLOW), write,
  // fsync, renameat, fsync of the directory. Readers see the old or the new file, never a mix.
  Status Replace(std::string_view name, std::string_view data) const;
  // Opens `name` with `flags` | O_NOFOLLOW | O_CLOEXEC (mode 0600 when created).
  Result<UniqueFd> OpenFile(std::string_view name, int flags) const;
  // Takes an exclusive flock on `name` (created if missing), waiting at most `timeout`.
  Result<DirLock> Lock(std::string_view name, std::chrono::milliseconds timeout) const;
  Status Sync() const;

  // (inode, size, mtime) of `name`, to notice changes cheaply; zeros if missing.
  struct Stamp {
    uint64_t ino = 0, size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  Stamp StatFile(std::string_view name) const;

 private:
  PrivateDir(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
};

// Fills `n` bytes from the kernel's CSPRNG (getrandom(2)).
Status RandomBytes(void* out, size_t n);

// Compares in time that depends only on the lengths, never on where the bytes first differ.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace sg
