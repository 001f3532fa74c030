#include "log/log.h"

#include <fcntl.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <mutex>

#include "util/fs.h"

namespace sg::log {
namespace {

// Appends to a file descriptor opened without following links. spdlog's own file sink opens by
// name with fopen("ab"), which follows a link planted where the log should be.
class FdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  ~FdSink() override { ::close(fd_); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t out;
    formatter_->format(msg, out);
    const char* p = out.data();
    size_t n = out.size();
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return;  // a full disk must not stop a push; the line is lost, nothing else
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
  void flush_() override {}

 private:
  int fd_;
};

// Opens `file` for appending; -1 when it cannot be (missing directory that cannot be made, a
// link, no permission).
int OpenLog(const std::string& file, unsigned mode) {
  const std::string dir = std::filesystem::path(file).parent_path().string();
  if (!dir.empty() && !IsDirectory(dir)) {
    if (!MakeDirs(dir, (mode & 020) ? 02770 : 0700).ok()) return -1;
  }
  struct stat st;
  if (!dir.empty() && (::lstat(dir.c_str(), &st) != 0 || S_ISLNK(st.st_mode))) return -1;
  int fd;
  do {
    fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -1;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return -1;
  }
  // A log we just created gets its mode exactly (the umask does not decide), with group access
  // in a shared directory, so that every user who pushes can append.
  const unsigned want = ModeIn(dir.empty() ? "." : dir, mode);
  if (st.st_size == 0 && st.st_uid == ::geteuid() && (st.st_mode & 07777) != want) {
    ::fchmod(fd, want);
  }
  return fd;
}

}  // namespace

std::string Setup(const std::string& file, const std::string& level, bool stderr_fallback,
                  const std::vector<std::string>& fallbacks, unsigned mode) {
  std::shared_ptr<spdlog::logger> logger;
  std::string used;
  std::vector<std::string> candidates{file};
  candidates.insert(candidates.end(), fallbacks.begin(), fallbacks.end());
  for (const auto& f : candidates) {
    if (f.empty()) continue;
    const int fd = OpenLog(f, mode);
    if (fd < 0) continue;
    logger = std::make_shared<spdlog::logger>("secretgate", std::make_shared<FdSink>(fd));
    used = f;
    break;
  }
  if (!logger) {
    std::vector<spdlog::sink_ptr> sinks;
    sinks.push_back(
        std::make_shared<spdlog::sinks::syslog_sink_mt>("secretgate", LOG_PID, LOG_DAEMON, false));
    if (stderr_fallback) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger = std::make_shared<spdlog::logger>("secretgate", sinks.begin(), sinks.end());
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%P] %l: %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  if (!used.empty() && used != file) {
    spdlog::warn("log file {} cannot be opened for appending; logging here instead", file);
  }
  return used;
}

void SetupStderr(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("secretgate-stderr");
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("secretgate: %l: %v");
  spdlog::set_default_logger(logger);
}

}  // namespace sg::log
