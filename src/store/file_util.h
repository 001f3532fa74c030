// POSIX file helpers for the store: owned descriptors, whole reads and writes, fsync of files and
// directories, flock with a deadline. Errors are IOError naming the path.
// These stay inside store/ so the module's durability rules are visible in one place.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace sg::store {

// Owns one file descriptor; closes it on destruction. Move-only.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added. A missing file is NotFound, other failures IOError.
Result<Fd> OpenFile(const std::string& path, int flags, mode_t mode = 0600);

// Writes all of `data` at `offset` (pwrite loop).
Status WriteAllAt(int fd, std::string_view data, uint64_t offset, const std::string& path);
// Reads exactly `n` bytes at `offset`, fewer only at end of file.
Result<std::string> ReadAt(int fd, uint64_t offset, size_t n, const std::string& path);
// The whole file; NotFound if it does not exist.
Result<std::string> ReadWholeFile(const std::string& path);

Status SyncFd(int fd, const std::string& path);
Status SyncDir(const std::string& dir);

// mkdir -p; every directory it creates gets mode 0700 exactly, and its parent is fsynced so the
// new entry survives a power cut.
Status MakePrivateDirs(const std::string& path);

// Replaces `path` with `data` (mode 0600) through "<path>.tmp" and rename(2). With `durable`,
// the temporary file and the directory are fsynced too. The caller must hold the store lock:
// the temporary name is fixed.
Status ReplaceFile(const std::string& path, std::string_view data, bool durable);

// What fstat says about a file, to notice that someone changed it behind our back.
struct FileStamp {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};
Result<FileStamp> StatFd(int fd, const std::string& path);

// An exclusive flock(2) held until destruction. The kernel drops it when the holder dies, so a
// killed process never wedges the store.
class FileLock {
 public:
  // Waits at most `timeout` (polling with back-off); IOError naming the lock file on timeout.
  static Result<FileLock> Acquire(int fd, const std::string& path,
                                  std::chrono::milliseconds timeout);
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;  // not owned
};

std::string ErrnoText(int err);

}  // namespace sg::store
