// POSIX file helpers for the store: owned descriptors, whole reads and writes, fsync of files and
// directories, flock with a deadline. Errors are IOError naming the path.
// These stay inside store/ so the module's durability rules are visible in one place.
//
// Links: no function here follows a symbolic link at the last component of a path it opens
// (O_NOFOLLOW), temporary files are created with O_EXCL under unpredictable names, and a store
// works on its directories through descriptors (Dir, openat), so that whoever can write a
// store's directory cannot redirect a write of ours (or of root's) to another file.
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

// open(2) with O_CLOEXEC and O_NOFOLLOW added. A missing file is NotFound; a symbolic link is an
// IOError that says so; other failures IOError.
Result<Fd> OpenFile(const std::string& path, int flags, mode_t mode = 0600);

// The modes and group of what a store creates. Private by default (0700 directories, 0600
// files); with a group (several OS users sharing one store, README "Shared stores"): setgid
// directories 02770 owned by that group and files 0660 (the key 0640), so that new files inherit
// the group and every member can record.
struct FileModes {
  mode_t dir = 0700;
  mode_t file = 0600;
  mode_t key = 0600;
  int gid = -1;  // -1: leave the group as the kernel chose it
  static FileModes Private() { return {}; }
  static FileModes Shared(int gid) { return {02770, 0660, 0640, gid}; }
  // Gives the newly created `fd` these modes (and group): the umask does not decide.
  Status Apply(int fd, const std::string& path, bool is_key = false) const;
};

// A directory held open: files in it are opened, replaced and removed relative to it (openat,
// renameat, unlinkat), so the directory itself cannot be swapped for a link halfway through.
class Dir {
 public:
  Dir() = default;
  // Opens `path`, refusing a symbolic link at its last component (IOError saying so) and
  // anything that is not a directory. NotFound when it does not exist.
  static Result<Dir> Open(const std::string& path);

  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }
  const std::string& path() const { return path_; }
  // "<dir>/<name>", for messages.
  std::string PathOf(std::string_view name) const;
  // `modes`, or, when they are the private defaults and this directory is shared (setgid and
  // group-writable: util/fs.h SharedGroupOf), the shared modes of its group.
  FileModes Effective(const FileModes& modes) const;

  // openat with O_CLOEXEC | O_NOFOLLOW; a new file gets `modes` (file, or key with is_key).
  Result<Fd> OpenFile(std::string_view name, int flags, const FileModes& modes = {},
                      bool is_key = false) const;
  // The whole file; NotFound if it does not exist.
  Result<std::string> ReadWhole(std::string_view name) const;
  // Replaces `name` with `data` through a new temporary file (O_EXCL, random name) and
  // renameat. With `durable`, the file and this directory are fsynced too.
  Status Replace(std::string_view name, std::string_view data, bool durable,
                 const FileModes& modes = {}) const;
  // Removes `name` (a link, not what it points to); a missing file is fine.
  Status Unlink(std::string_view name) const;
  Status Sync() const;

 private:
  Fd fd_;
  std::string path_;
  int shared_gid_ = -1;
};

// Writes all of `data` at `offset` (pwrite loop).
Status WriteAllAt(int fd, std::string_view data, uint64_t offset, const std::string& path);
// Reads exactly `n` bytes at `offset`, fewer only at end of file.
Result<std::string> ReadAt(int fd, uint64_t offset, size_t n, const std::string& path);
// The whole file; NotFound if it does not exist.
Result<std::string> ReadWholeFile(const std::string& path);
// Everything from the start of the open file `fd` to its end, however it grows meanwhile.
Result<std::string> ReadToEnd(int fd, const std::string& path);

Status SyncFd(int fd, const std::string& path);
Status SyncDir(const std::string& dir);

// mkdir -p; every directory it creates gets `modes.dir` (and group) exactly, and its parent is
// fsynced so the new entry survives a power cut. A symbolic link at the last component is
// refused: the caller is about to keep files there.
Status MakeStoreDirs(const std::string& path, const FileModes& modes = {});

// Replaces `path` with `data` through a new temporary file beside it (O_EXCL, random name) and
// rename(2). With `durable`, the temporary file and the directory are fsynced too.
Status ReplaceFile(const std::string& path, std::string_view data, bool durable,
                   const FileModes& modes = {});

// A name for a temporary file beside `name` that nobody can predict: "<name>.tmp.<pid>.<hex>".
std::string TempName(std::string_view name);
// True for names TempName produced (leftovers of writers that died before their rename).
bool IsTempName(std::string_view name);

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
