#include "notify/state.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "store/crypto.h"
#include "store/event.h"
#include "store/file_util.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::notify {
namespace {

using nlohmann::json;

constexpr std::string_view kCursorMagic = "secretgate-notify-cursor";
constexpr std::string_view kRetryMagic = "secretgate-notify-retry";
constexpr int kStateVersion = 1;

std::string SinkFile(const std::string& store_dir, std::string_view sink, std::string_view ext) {
  return StateDir(store_dir) + "/" + SafeFileName(sink) + std::string(ext);
}

// "<magic> <version> <CRC-32C of json, 8 hex>\n<json>\n"
std::string Frame(std::string_view magic, const json& body) {
  std::string text = store::DumpJson(body);
  return std::string(magic) + " " + std::to_string(kStateVersion) + " " + ShortChecksum(text) +
         "\n" + text + "\n";
}

// The JSON of a framed file, or nullopt (absent, or damaged: logged).
std::optional<json> Unframe(const std::string& path, std::string_view magic) {
  auto content = ReadFile(path);
  if (!content.ok()) {
    if (content.status().code() != Code::kNotFound) {
      spdlog::warn("notify: cannot read {}: {}", path, content.status().message());
    }
    return std::nullopt;
  }
  const std::string& c = *content;
  const size_t nl = c.find('\n');
  std::string head = c.substr(0, nl);
  std::string prefix = std::string(magic) + " " + std::to_string(kStateVersion) + " ";
  if (nl == std::string::npos || head.rfind(prefix, 0) != 0 || c.back() != '\n') {
    spdlog::warn("notify: {} is not a version {} {} file; ignoring it", path, kStateVersion, magic);
    return std::nullopt;
  }
  std::string text = c.substr(nl + 1, c.size() - nl - 2);
  if (ShortChecksum(text) != head.substr(prefix.size())) {
    spdlog::warn("notify: {} fails its checksum; ignoring it", path);
    return std::nullopt;
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    spdlog::warn("notify: {} does not hold a JSON object; ignoring it", path);
    return std::nullopt;
  }
  return j;
}

Status EnsureStateDir(const std::string& store_dir) {
  return store::MakeStoreDirs(StateDir(store_dir));
}

}  // namespace

std::string StateDir(const std::string& store_dir) {
  return store_dir + "/" + std::string(kStateDirName);
}

std::string ShortChecksum(std::string_view data) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", store::Crc32c(data));
  return buf;
}

std::string SafeFileName(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
    out += keep ? c : '_';
  }
  if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');
  return out;
}

std::optional<Cursor> LoadCursor(const std::string& store_dir, std::string_view sink) {
  const std::string path = SinkFile(store_dir, sink, ".cursor");
  auto j = Unframe(path, kCursorMagic);
  if (!j) return std::nullopt;
  try {
    Cursor c;
    c.store_id = j->at("store_id").get<std::string>();
    c.seq = j->at("seq").get<int64_t>();
    const json& b = j->at("batch");
    c.batch.offset = b.at("offset").get<uint64_t>();
    c.batch.seq = b.at("seq").get<int64_t>();
    c.batch.sum = b.at("sum").get<std::string>();
    c.batch.line_start = b.at("line_start").get<uint64_t>();
    if (c.batch.seq > c.seq) throw std::runtime_error("batch after seq");
    return c;
  } catch (const std::exception&) {
    spdlog::warn("notify: {} lacks a well-typed field; ignoring it", path);
    return std::nullopt;
  }
}

Status SaveCursor(const std::string& store_dir, std::string_view sink, const Cursor& c) {
  SG_RETURN_IF_ERROR(EnsureStateDir(store_dir));
  json j = {{"store_id", c.store_id},
            {"seq", c.seq},
            {"batch",
             {{"offset", c.batch.offset},
              {"seq", c.batch.seq},
              {"sum", c.batch.sum},
              {"line_start", c.batch.line_start}}}};
  return WriteFileAtomic(SinkFile(store_dir, sink, ".cursor"), Frame(kCursorMagic, j), 0600);
}

std::optional<RetryState> LoadRetry(const std::string& store_dir, std::string_view sink) {
  const std::string path = SinkFile(store_dir, sink, ".retry");
  auto j = Unframe(path, kRetryMagic);
  if (!j) return std::nullopt;
  try {
    RetryState r;
    r.attempts = j->at("attempts").get<int>();
    r.next_attempt = j->at("next_attempt").get<int64_t>();
    r.first_failure = j->at("first_failure").get<std::string>();
    r.last_error = j->at("last_error").get<std::string>();
    r.seq = j->at("seq").get<int64_t>();
    return r;
  } catch (const std::exception&) {
    spdlog::warn("notify: {} lacks a well-typed field; ignoring it", path);
    return std::nullopt;
  }
}

Status SaveRetry(const std::string& store_dir, std::string_view sink, const RetryState& r) {
  SG_RETURN_IF_ERROR(EnsureStateDir(store_dir));
  json j = {{"attempts", r.attempts},
            {"next_attempt", r.next_attempt},
            {"first_failure", r.first_failure},
            {"last_error", r.last_error},
            {"seq", r.seq}};
  return WriteFileAtomic(SinkFile(store_dir, sink, ".retry"), Frame(kRetryMagic, j), 0600);
}

Status ClearRetry(const std::string& store_dir, std::string_view sink) {
  const std::string path = SinkFile(store_dir, sink, ".retry");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::IOError("cannot remove " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

int64_t BackoffSeconds(int attempts, double initial, double max) {
  if (attempts < 1) return 0;
  double s = initial * std::pow(2.0, std::min(attempts - 1, 40));
  return static_cast<int64_t>(std::ceil(std::min(s, max)));
}

bool IsDue(const std::optional<RetryState>& retry, int64_t now, bool ignore_backoff) {
  return ignore_backoff || !retry || now >= retry->next_attempt;
}

RetryState RecordFailure(const std::string& store_dir, std::string_view sink,
                         std::optional<RetryState> retry, int64_t seq, const std::string& error,
                         int64_t now, double initial, double max) {
  RetryState r = retry.value_or(RetryState{});
  r.attempts += 1;
  if (r.first_failure.empty()) r.first_failure = FormatRfc3339(now);
  r.last_error = error;
  r.seq = seq;
  r.next_attempt = now + BackoffSeconds(r.attempts, initial, max);
  if (Status s = SaveRetry(store_dir, sink, r); !s.ok()) {
    spdlog::error("notify: {}: cannot save retry state: {}", sink, s.message());
  }
  spdlog::warn("notify: {} failed (attempt {}), next attempt at {}: {}", sink, r.attempts,
               FormatRfc3339(r.next_attempt), error);
  return r;
}

Result<std::optional<SinkLock>> SinkLock::TryAcquire(const std::string& store_dir,
                                                     std::string_view sink) {
  SG_RETURN_IF_ERROR(EnsureStateDir(store_dir));
  const std::string path = SinkFile(store_dir, sink, ".lock");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                  ModeIn(StateDir(store_dir), 0600));
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return std::optional<SinkLock>();
    return Status::IOError("cannot lock " + path + ": " + std::strerror(err));
  }
  return std::optional<SinkLock>(SinkLock(fd));
}

SinkLock::~SinkLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor drops the flock
}

Status AppendDeliveryLog(const std::string& store_dir, const DeliveryRecord& r) {
  SG_RETURN_IF_ERROR(EnsureStateDir(store_dir));
  const std::string path = StateDir(store_dir) + "/" + std::string(kDeliveryLogName);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) > kDeliveryLogMaxBytes) {
    const std::string old = path + ".1";
    ::rename(path.c_str(), old.c_str());  // racing rotators: one wins, the other's rename fails
  }
  nlohmann::ordered_json j;
  j["at"] = r.at;
  j["sink"] = r.sink;
  j["kind"] = r.kind;
  j["event"] = r.event;
  if (r.seq >= 0) j["seq"] = r.seq;
  if (r.alert > 0) j["alert"] = r.alert;
  if (r.kind == "partner") j["count"] = r.count;
  if (!r.token.empty()) j["token"] = Redact(r.token);
  j["delivery"] = r.delivery;
  j["outcome"] = r.outcome;
  if (r.http_status) j["http_status"] = r.http_status;
  if (r.exit_code >= 0) j["exit_code"] = r.exit_code;
  j["attempt"] = r.attempt;
  j["duration_ms"] = r.duration_ms;
  if (!r.error.empty()) j["error"] = r.error;
  const std::string line = store::DumpJson(j) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                  ModeIn(StateDir(store_dir), 0600));
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  ssize_t n = ::write(fd, line.data(),
                      line.size());  // one write: lines of concurrent runs never interleave
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) {
    return Status::IOError("cannot append to " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace sg::notify

namespace sg::notify {

void LogDelivery(const std::string& store_dir, const DeliveryRecord& record) {
  if (Status s = AppendDeliveryLog(store_dir, record); !s.ok()) {
    spdlog::error("notify: cannot write the delivery log: {}", s.message());
  }
}

}  // namespace sg::notify
