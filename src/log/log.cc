#include "log/log.h"

#include <fcntl.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>

#include "util/fs.h"
#include "util/text.h"

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

// A line's end: files and stderr take a newline, syslog(3) takes the line alone.
constexpr std::string_view kEol = "\n";

// log_format = "text": spdlog's `pattern`, with free text escaped (EscapeControl) the way
// events escape their values, so that no logged path or message can forge a line.
class TextFormatter final : public spdlog::formatter {
 public:
  TextFormatter(std::string pattern, std::string_view eol)
      : pattern_(std::move(pattern)),
        eol_(eol),
        inner_(std::make_unique<spdlog::pattern_formatter>(
            pattern_, spdlog::pattern_time_type::local, std::string(eol_))) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    if (EmittingEvent()) return inner_->format(msg, dest);
    const std::string escaped =
        EscapeControl(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    inner_->format(copy, dest);
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>(pattern_, eol_);
  }

 private:
  std::string pattern_;
  std::string eol_;
  std::unique_ptr<spdlog::pattern_formatter> inner_;
};

// log_format = "json": one object per line, {"time","level","pid", then the event's members},
// or, for free text, "event":"message" and the text in "message".
class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string_view eol) : eol_(eol) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto t = msg.time.time_since_epoch();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char when[40];
    const size_t n = std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(when + n, sizeof when - n, ".%03dZ", static_cast<int>(ms % 1000));
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string line = "{\"time\":\"" + std::string(when) + "\",\"level\":\"" +
                       std::string(level.data(), level.size()) +
                       "\",\"pid\":" + std::to_string(::getpid()) + ",";
    line += EmittingEvent() ? std::string(payload) : MessageFields(payload);
    line += "}";
    line += eol_;
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(eol_);
  }

 private:
  std::string eol_;
};

std::atomic<SyslogWriter> g_syslog_writer{nullptr};

void WriteSyslog(int priority, std::string_view line) {
  static std::once_flag opened;
  // Never closed: every logger of the process shares the one connection, and a logger that
  // replaces another must not close it under the new one (spdlog's syslog sink does).
  std::call_once(opened, [] { ::openlog("secretgate", LOG_PID, LOG_DAEMON); });
  ::syslog(priority, "%.*s",
           static_cast<int>(std::min<size_t>(line.size(), static_cast<size_t>(INT_MAX))),
           line.data());
}

// To syslog(3), each line formatted like the file's (spdlog's own syslog sink is used with
// formatting off, which would send a JSON event without its time, level and braces).
class SyslogSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t out;
    formatter_->format(msg, out);
    const std::string_view line(out.data(), out.size());
    const int priority = Priority(msg.level);
    if (auto writer = g_syslog_writer.load()) {
      writer(priority, line);
    } else {
      WriteSyslog(priority, line);
    }
  }
  void flush_() override {}

 private:
  static int Priority(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        return LOG_DEBUG;
      case spdlog::level::warn:
        return LOG_WARNING;
      case spdlog::level::err:
        return LOG_ERR;
      case spdlog::level::critical:
        return LOG_CRIT;
      default:
        return LOG_INFO;
    }
  }
};

std::shared_ptr<SyslogSink> MakeSyslogSink() { return std::make_shared<SyslogSink>(); }

// The format of every sink of `logger`: `pattern` for text (syslog stamps its own time and
// pid), or JSON lines.
void ApplyFormat(spdlog::logger& logger, const Output& output, const std::string& pattern) {
  SetCurrentFormat(output.format);
  for (auto& sink : logger.sinks()) {
    const bool syslog = dynamic_cast<SyslogSink*>(sink.get()) != nullptr;
    const std::string_view eol = syslog ? "" : kEol;
    if (output.format == Format::kJson) {
      sink->set_formatter(std::make_unique<JsonFormatter>(eol));
    } else {
      sink->set_formatter(std::make_unique<TextFormatter>(syslog ? "%l: %v" : pattern, eol));
    }
  }
}

}  // namespace

std::string Setup(const std::string& file, const std::string& level, bool stderr_fallback,
                  const std::vector<std::string>& fallbacks, unsigned mode, const Output& output) {
  std::shared_ptr<spdlog::logger> logger;
  std::string used;
  std::vector<std::string> candidates{file};
  candidates.insert(candidates.end(), fallbacks.begin(), fallbacks.end());
  for (const auto& f : candidates) {
    if (f.empty()) continue;
    const int fd = OpenLog(f, mode);
    if (fd < 0) continue;
    std::vector<spdlog::sink_ptr> sinks{std::make_shared<FdSink>(fd)};
    if (output.syslog) sinks.push_back(MakeSyslogSink());
    logger = std::make_shared<spdlog::logger>("secretgate", sinks.begin(), sinks.end());
    used = f;
    break;
  }
  if (!logger) {
    std::vector<spdlog::sink_ptr> sinks{MakeSyslogSink()};
    if (stderr_fallback) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger = std::make_shared<spdlog::logger>("secretgate", sinks.begin(), sinks.end());
  }
  logger->set_level(spdlog::level::from_str(level));
  ApplyFormat(*logger, output, "%Y-%m-%dT%H:%M:%S.%e%z [%P] %l: %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  if (!used.empty() && used != file) {
    spdlog::warn("log file {} cannot be opened for appending; logging here instead", file);
  }
  return used;
}

void SetupStderr(const std::string& level, const Output& output) {
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_sink_mt>()};
  if (output.syslog) sinks.push_back(MakeSyslogSink());
  auto logger = std::make_shared<spdlog::logger>("secretgate-stderr", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(level));
  ApplyFormat(*logger, output, "secretgate: %l: %v");
  spdlog::set_default_logger(logger);
}

void SetSyslogWriterForTest(SyslogWriter writer) { g_syslog_writer.store(writer); }

}  // namespace sg::log
