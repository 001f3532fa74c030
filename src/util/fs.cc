#include "util/fs.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

namespace sg {
namespace {

Status Errno(std::string_view what, const std::string& path) {
  return Status::IOError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no such file: " + path);
    return Errno("cannot open", path);
  }
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Errno("cannot read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

namespace {

std::string ParentOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

}  // namespace

int SharedGroupOf(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return -1;
  if ((st.st_mode & S_ISGID) && (st.st_mode & 070) == 070) return static_cast<int>(st.st_gid);
  return -1;
}

unsigned ModeIn(const std::string& dir, unsigned mode, bool directory) {
  if (SharedGroupOf(dir) < 0) return mode;
  unsigned out = mode | ((mode & 0700) >> 3);
  if (directory) out |= S_ISGID;
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view data, unsigned mode) {
  const std::string dir = ParentOf(path);
  mode = ModeIn(dir, mode);
  unsigned char rnd[6] = {};
  if (::getrandom(rnd, sizeof rnd, 0) != static_cast<ssize_t>(sizeof rnd)) {
    const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    std::memcpy(rnd, &t, sizeof rnd);
  }
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + ".";
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : rnd) {
    tmp += kHex[c >> 4];
    tmp += kHex[c & 15];
  }
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return Errno("cannot create", tmp);
  auto fail = [&](std::string_view what) {
    Status s = Errno(what, tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };
  if (::fchmod(fd, mode) != 0) return fail("cannot chmod");
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot fsync");
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Errno("cannot rename onto", path);
    ::unlink(tmp.c_str());
    return s;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

Status MakeDirs(const std::string& path, unsigned mode) {
  if (path.empty()) return Status::Invalid("empty directory path");
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty() || IsDirectory(cur)) continue;
    const unsigned m = ModeIn(ParentOf(cur), mode, /*directory=*/true);
    if (::mkdir(cur.c_str(), m & 0777) != 0) {
      if (errno == EEXIST) continue;
      return Errno("cannot create", cur);
    }
    // mkdir honours the umask and may drop setgid: make the mode exact.
    if (::chmod(cur.c_str(), m) != 0) return Errno("cannot chmod", cur);
  }
  if (!IsDirectory(path)) return Status::IOError("not a directory: " + path);
  return Status::Ok();
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string SelfExecutablePath() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

}  // namespace sg
