#include "store/file_util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

namespace sg::store {
namespace {

Status Errno(std::string_view what, const std::string& path, int err) {
  std::string msg = std::string(what) + " " + path + ": " + ErrnoText(err);
  return err == ENOENT ? Status::NotFound(msg) : Status::IOError(msg);
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
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Errno("open", path, errno);
  return Fd(fd);
}

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
  auto stamp = StatFd(fd->get(), path);
  if (!stamp.ok()) return stamp.status();
  // One read of the size fstat reports; a file that grew meanwhile is read on to its end.
  auto out = ReadAt(fd->get(), 0, static_cast<size_t>(stamp->size), path);
  if (!out.ok()) return out.status();
  for (;;) {
    auto more = ReadAt(fd->get(), out->size(), 1 << 16, path);
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

Status MakePrivateDirs(const std::string& path) {
  if (path.empty()) return Status::Invalid("empty directory path");
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Status::IOError(path + " exists and is not a directory");
    return Status::Ok();
  }
  const std::string parent = ParentDir(path);
  if (parent != path) SG_RETURN_IF_ERROR(MakePrivateDirs(parent));
  if (::mkdir(path.c_str(), 0700) != 0) {
    if (errno == EEXIST) return Status::Ok();  // another process won the race
    return Errno("mkdir", path, errno);
  }
  // mkdir honours the umask; make the mode exact.
  if (::chmod(path.c_str(), 0700) != 0) return Errno("chmod", path, errno);
  return SyncDir(parent);
}

Status ReplaceFile(const std::string& path, std::string_view data, bool durable) {
  const std::string tmp = path + ".tmp";
  {
    auto fd = OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!fd.ok()) return fd.status();
    if (::fchmod(fd->get(), 0600) != 0) return Errno("chmod", tmp, errno);
    SG_RETURN_IF_ERROR(WriteAllAt(fd->get(), data, 0, tmp));
    if (durable) SG_RETURN_IF_ERROR(SyncFd(fd->get(), tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename", tmp, errno);
  if (durable) return SyncDir(ParentDir(path));
  return Status::Ok();
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
