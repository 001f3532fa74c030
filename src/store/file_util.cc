#include "store/file_util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

namespace sg::store {
namespace {

Status Errno(std::string_view what, const std::string& path, int err) {
  if (err == ELOOP) {
    return Status::IOError(std::string(what) + " " + path +
                           ": is a symbolic link; secretgate does not follow links in a store");
  }
  std::string msg = std::string(what) + " " + path + ": " + ErrnoText(err);
  return err == ENOENT ? Status::NotFound(msg) : Status::IOError(msg);
}

// Writes all of `data` to the start of a fresh `fd`, then optionally fsyncs it.
Status WriteFresh(int fd, std::string_view data, bool durable, const std::string& path) {
  Status s = WriteAllAt(fd, data, 0, path);
  if (s.ok() && durable) s = SyncFd(fd, path);
  return s;
}

std::string ParentDir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string ErrnoText(int err) { return std::strerror(err); }

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

int Fd::Release() { return std::exchange(fd_, -1); }

Result<Fd> OpenFile(const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Errno("open", path, errno);
  return Fd(fd);
}

Status FileModes::Apply(int fd, const std::string& path, bool is_key) const {
  if (gid >= 0 && ::fchown(fd, static_cast<uid_t>(-1), static_cast<gid_t>(gid)) != 0) {
    return Errno("chgrp", path, errno);
  }
  if (::fchmod(fd, is_key ? key : file) != 0) return Errno("chmod", path, errno);
  return Status::Ok();
}

std::string TempName(std::string_view name) {
  unsigned char raw[6] = {};
  if (::getrandom(raw, sizeof raw, 0) != static_cast<ssize_t>(sizeof raw)) {
    // Only the name's unpredictability suffers; O_EXCL still refuses anything planted there.
    const uint64_t t =
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    std::memcpy(raw, &t, sizeof raw);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(name);
  out += ".tmp." + std::to_string(::getpid()) + ".";
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool IsTempName(std::string_view name) { return name.find(".tmp.") != std::string_view::npos; }

Result<Dir> Dir::Open(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    // O_DIRECTORY|O_NOFOLLOW on a link gives ENOTDIR or ELOOP depending on what it names.
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) return Errno("open", path, ELOOP);
    if (errno == ENOTDIR) return Status::IOError(path + " exists and is not a directory");
    return Errno("open", path, errno);
  }
  Dir d;
  d.fd_ = Fd(fd);
  d.path_ = path;
  struct stat st;
  if (::fstat(fd, &st) == 0 && (st.st_mode & S_ISGID) && (st.st_mode & 070) == 070) {
    d.shared_gid_ = static_cast<int>(st.st_gid);
  }
  return d;
}

FileModes Dir::Effective(const FileModes& modes) const {
  if (modes.gid >= 0 || shared_gid_ < 0) return modes;
  return FileModes::Shared(shared_gid_);
}

std::string Dir::PathOf(std::string_view name) const {
  std::string out = path_;
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

Result<Fd> Dir::OpenFile(std::string_view name, int flags, const FileModes& wanted,
                         bool is_key) const {
  const FileModes modes = Effective(wanted);
  const std::string n(name);
  const mode_t mode = is_key ? modes.key : modes.file;
  int fd;
  do {
    fd = ::openat(fd_.get(), n.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Errno("open", PathOf(name), errno);
  Fd out(fd);
  if (flags & O_CREAT) {
    struct stat st;
    // A file we just created is ours to give its mode and group (the umask does not decide);
    // one that existed keeps what it has.
    if (::fstat(fd, &st) == 0 && st.st_uid == ::geteuid() && st.st_size == 0 &&
        ((st.st_mode & 07777) != mode ||
         (modes.gid >= 0 && st.st_gid != static_cast<gid_t>(modes.gid)))) {
      SG_RETURN_IF_ERROR(modes.Apply(fd, PathOf(name), is_key));
    }
  }
  return out;
}

Result<std::string> Dir::ReadWhole(std::string_view name) const {
  auto fd = OpenFile(name, O_RDONLY);
  if (!fd.ok()) return fd.status();
  return ReadToEnd(fd->get(), PathOf(name));
}

Status Dir::Replace(std::string_view name, std::string_view data, bool durable,
                    const FileModes& wanted) const {
  const FileModes modes = Effective(wanted);
  const std::string tmp = TempName(name);
  {
    auto fd = OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, modes);
    if (!fd.ok()) return fd.status();
    Status s = modes.Apply(fd->get(), PathOf(tmp));
    if (s.ok()) s = WriteFresh(fd->get(), data, durable, PathOf(tmp));
    if (!s.ok()) {
      (void)Unlink(tmp);
      return s;
    }
  }
  const std::string n(name);
  if (::renameat(fd_.get(), tmp.c_str(), fd_.get(), n.c_str()) != 0) {
    const int err = errno;
    (void)Unlink(tmp);
    return Errno("rename", PathOf(tmp), err);
  }
  if (durable) return Sync();
  return Status::Ok();
}

Status Dir::Unlink(std::string_view name) const {
  const std::string n(name);
  if (::unlinkat(fd_.get(), n.c_str(), 0) != 0 && errno != ENOENT) {
    return Errno("unlink", PathOf(name), errno);
  }
  return Status::Ok();
}

Status Dir::Sync() const { return SyncFd(fd_.get(), path_); }

Status WriteAllAt(int fd, std::string_view data, uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Result<std::string> ReadAt(int fd, uint64_t offset, size_t n, const std::string& path) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("read", path, errno);
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  auto fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  return ReadToEnd(fd->get(), path);
}

Result<std::string> ReadToEnd(int fd, const std::string& path) {
  auto stamp = StatFd(fd, path);
  if (!stamp.ok()) return stamp.status();
  // One read of the size fstat reports; a file that grew meanwhile is read on to its end.
  auto out = ReadAt(fd, 0, static_cast<size_t>(stamp->size), path);
  if (!out.ok()) return out.status();
  for (;;) {
    auto more = ReadAt(fd, out->size(), 1 << 16, path);
    if (!more.ok()) return more.status();
    if (more->empty()) break;
    *out += *more;
  }
  return out;
}

Status SyncFd(int fd, const std::string& path) {
  if (::fsync(fd) != 0) return Errno("fsync", path, errno);
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  auto fd = OpenFile(dir, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  return SyncFd(fd->get(), dir);
}

Status MakeStoreDirs(const std::string& path, const FileModes& wanted) {
  if (path.empty()) return Status::Invalid("empty directory path");
  FileModes modes = wanted;
  if (modes.gid < 0) {
    // Below a shared directory (setgid, group-writable), new directories are shared too.
    struct stat pst;
    const std::string up = ParentDir(path);
    if (::stat(up.c_str(), &pst) == 0 && (pst.st_mode & S_ISGID) && (pst.st_mode & 070) == 070) {
      modes = FileModes::Shared(static_cast<int>(pst.st_gid));
    }
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) return Errno("use", path, ELOOP);
    if (!S_ISDIR(st.st_mode)) return Status::IOError(path + " exists and is not a directory");
    return Status::Ok();
  }
  const std::string parent = ParentDir(path);
  if (parent != path) {
    // Only the directories this store keeps files in are held to the no-link rule; the ones
    // above them are the admin's layout (/srv/git may well be a link to a data disk).
    if (::stat(parent.c_str(), &st) != 0) SG_RETURN_IF_ERROR(MakeStoreDirs(parent, modes));
  }
  if (::mkdir(path.c_str(), modes.dir & 0777) != 0) {
    if (errno == EEXIST) return MakeStoreDirs(path, modes);  // another process won the race
    return Errno("mkdir", path, errno);
  }
  // mkdir honours the umask and drops the setgid bit; make mode and group exact.
  auto dir = Dir::Open(path);
  if (!dir.ok()) return dir.status();
  if (modes.gid >= 0 &&
      ::fchown(dir->fd(), static_cast<uid_t>(-1), static_cast<gid_t>(modes.gid)) != 0) {
    return Errno("chgrp", path, errno);
  }
  if (::fchmod(dir->fd(), modes.dir) != 0) return Errno("chmod", path, errno);
  return SyncDir(parent);
}

Status ReplaceFile(const std::string& path, std::string_view data, bool durable,
                   const FileModes& modes) {
  auto dir = Dir::Open(ParentDir(path));
  if (!dir.ok()) return dir.status();
  const size_t slash = path.find_last_of('/');
  return dir->Replace(slash == std::string::npos ? path : path.substr(slash + 1), data, durable,
                      modes);
}

Result<FileStamp> StatFd(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Errno("stat", path, errno);
  FileStamp s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  s.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  return s;
}

Result<FileLock> FileLock::Acquire(int fd, const std::string& path,
                                   std::chrono::milliseconds timeout) {
  if (fd < 0) return FileLock(-1);  // no lock file (a read-only Store): nothing to hold
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return FileLock(fd);
    if (errno != EWOULDBLOCK && errno != EINTR) return Errno("flock", path, errno);
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::IOError("timed out after " + std::to_string(timeout.count()) +
                             " ms waiting for the lock " + path +
                             " (another secretgate process holds it)");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::flock(fd_, LOCK_UN);
}

}  // namespace sg::store
