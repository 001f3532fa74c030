#include "util/private_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace sg {
namespace {

Status Errno(std::string_view what, const std::string& path, int err) {
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(err);
  return err == ENOENT ? Status::NotFound(msg) : Status::IOError(msg);
}

Status MakeParents(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir", part, errno);
  }
  return Status::Ok();
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

DirLock::~DirLock() {
  if (fd_.valid()) ::flock(fd_.get(), LOCK_UN);
}

Result<PrivateDir> PrivateDir::Open(const std::string& path, bool create) {
  if (path.empty()) return Status::Invalid("empty directory path");
  if (create) SG_RETURN_IF_ERROR(MakeParents(path));
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      return Status::IOError(path + " is not a directory (a symlink is refused)");
    }
    return Errno("open", path, errno);
  }
  UniqueFd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Errno("stat", path, errno);
  if (st.st_uid != ::geteuid()) {
    return Status::IOError(path + " belongs to uid " + std::to_string(st.st_uid) +
                           ", not to this user");
  }
  if (st.st_mode & 022) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return Status::IOError(path + " is writable by group or others (mode " + mode +
                           "); make it 0700");
  }
  return PrivateDir(path, std::move(owned));
}

Result<UniqueFd> PrivateDir::OpenFile(std::string_view name, int flags) const {
  std::string n(name);
  int fd;
  do {
    fd = ::openat(fd_.get(), n.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Errno("open", path_ + "/" + n, errno);
  return UniqueFd(fd);
}

Result<std::string> PrivateDir::Read(std::string_view name) const {
  auto fd = OpenFile(name, O_RDONLY);
  if (!fd.ok()) return fd.status();
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("read", path_ + "/" + std::string(name), errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status PrivateDir::Replace(std::string_view name, std::string_view data) const {
  unsigned char rnd[8];
  SG_RETURN_IF_ERROR(RandomBytes(rnd, sizeof rnd));
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".tmp.%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
                rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
  const std::string tmp = std::string(name) + suffix;
  auto fd = OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL);
  if (!fd.ok()) return fd.status();
  const std::string where = path_ + "/" + tmp;
  auto fail = [&](const Status& s) {
    ::unlinkat(fd_.get(), tmp.c_str(), 0);
    return s;
  };
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd->get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Errno("write", where, errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd->get()) != 0) return fail(Errno("fsync", where, errno));
  if (::renameat(fd_.get(), tmp.c_str(), fd_.get(), std::string(name).c_str()) != 0) {
    return fail(Errno("rename", where, errno));
  }
  return Sync();
}

Status PrivateDir::Sync() const {
  if (::fsync(fd_.get()) != 0) return Errno("fsync", path_, errno);
  return Status::Ok();
}

Result<DirLock> PrivateDir::Lock(std::string_view name, std::chrono::milliseconds timeout) const {
  auto fd = OpenFile(name, O_RDWR | O_CREAT);
  if (!fd.ok()) return fd.status();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto wait = std::chrono::milliseconds(1);
  while (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      return Errno("flock", path_ + "/" + std::string(name), errno);
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::IOError("timed out waiting for the lock " + path_ + "/" + std::string(name));
    }
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, std::chrono::milliseconds(50));
  }
  return DirLock(std::move(*fd));
}

PrivateDir::Stamp PrivateDir::StatFile(std::string_view name) const {
  struct stat st {};
  if (::fstatat(fd_.get(), std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
  return Stamp{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
               static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

Status RandomBytes(void* out, size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    ssize_t got = ::getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(std::string("getrandom: ") + std::strerror(errno));
    }
    p += got;
    n -= static_cast<size_t>(got);
  }
  return Status::Ok();
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace sg
