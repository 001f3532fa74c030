#include "bypass/requests.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "store/journal.h"
#include "util/text.h"

namespace sg::bypass {
namespace {

constexpr std::string_view kLockFile = "bypass-requests.lock";
constexpr std::string_view kFormat = "secretgate-bypass-requests";
constexpr int kVersion = 1;

using Clock = std::chrono::system_clock;

std::string Time(Clock::time_point t) {
  return FormatRfc3339(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// One framed line (FORMAT.md): the fields, then batch, end, prev, and the sum over what precedes.
std::string EncodeLine(int64_t seq, const std::string& type, const nlohmann::ordered_json& fields,
                       const std::string& prev, std::string* sum_out) {
  nlohmann::ordered_json j;
  j["seq"] = seq;
  j["type"] = type;
  for (auto it = fields.begin(); it != fields.end(); ++it) j[it.key()] = it.value();
  j["batch"] = seq;
  j["end"] = true;
  j["prev"] = prev;
  std::string body = Dump(j);
  body.pop_back();  // the closing brace: the sum goes inside the object, last
  std::string sum = Sha256Hex(body).substr(0, store::kSumHexLen);
  *sum_out = sum;
  return body + ",\"sum\":\"" + sum + "\"}\n";
}

std::vector<std::string> Strings(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

struct BypassJournal::Loaded {
  std::vector<BypassRequest> requests;
  bool exists = false;
  uint64_t good_end = 0;  // end of the last intact line
  uint64_t file_size = 0;
  int64_t next_seq = 0;
  std::string last_sum = store::kZeroSum;
};

Result<BypassJournal> BypassJournal::Open(const std::string& store_dir,
                                          const std::string& repository, bool create) {
  auto dir = store::Dir::Open(store_dir);
  if (!dir.ok()) return dir.status().WithContext("bypass requests");
  struct stat st {};
  if (::fstat(dir->fd(), &st) != 0) {
    return Status::IOError("stat " + store_dir + ": " + store::ErrnoText(errno));
  }
  if (st.st_mode & 002) {
    return Status::IOError("bypass requests: " + store_dir + " is writable by others; refusing it");
  }
  // The store's own modes: a setgid, group-writable directory is a store shared by a group.
  const bool shared = (st.st_mode & S_ISGID) && (st.st_mode & 020);
  BypassJournal j(
      std::move(*dir),
      shared ? store::FileModes::Shared(static_cast<int>(st.st_gid)) : store::FileModes::Private(),
      repository);
  if (::geteuid() == 0 && st.st_uid != 0) {
    j.read_only_ =
        Status::Permission("root does not write into " + store_dir + " (it belongs to uid " +
                           std::to_string(st.st_uid) + "); run this as that user");
  }
  j.create_ = create;
  return j;
}

Result<std::unique_ptr<BypassJournal::Locked>> BypassJournal::Lock() {
  SG_RETURN_IF_ERROR(read_only_);
  auto fd = dir_.OpenFile(kLockFile, O_RDWR | O_CREAT, modes_);
  if (!fd.ok()) return fd.status();
  SG_RETURN_IF_ERROR(modes_.Apply(fd->get(), dir_.PathOf(kLockFile)));
  auto lock = store::FileLock::Acquire(fd->get(), dir_.PathOf(kLockFile), std::chrono::seconds(5));
  if (!lock.ok()) return lock.status();
  return std::unique_ptr<Locked>(new Locked{std::move(*fd), std::move(*lock)});
}

Result<BypassJournal::Loaded> BypassJournal::Load(Clock::time_point now, bool repair) {
  Loaded out;
  const std::string path = dir_.PathOf(kJournalFile);
  auto text = dir_.ReadWhole(kJournalFile);
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) return out;
    return text.status();
  }
  out.exists = true;
  out.file_size = text->size();
  const std::string& t = *text;
  size_t pos = 0;
  int64_t line_no = 0;
  std::optional<std::string> bad;  // why the first bad line failed
  int64_t bad_line = 0;
  while (pos < t.size()) {
    size_t nl = t.find('\n', pos);
    ++line_no;
    if (nl == std::string::npos) {
      if (!bad) {
        bad = "a partial line (no newline)";
        bad_line = line_no;
      }
      break;
    }
    std::string_view line(t.data() + pos, nl - pos);
    auto parsed = store::ParseLine(line, /*want_json=*/true);
    if (bad) {
      // Something intact after a bad line is damage, not a torn write.
      if (parsed.ok()) {
        return Status::Corruption(path + ":" + std::to_string(bad_line) + ": " + *bad +
                                  ", followed by intact records");
      }
      pos = nl + 1;
      continue;
    }
    std::string why;
    if (!parsed.ok()) {
      why = parsed.status().message();
    } else if (parsed->seq != out.next_seq || parsed->prev != out.last_sum) {
      why = "out of sequence or broken chain";
    }
    if (!why.empty()) {
      bad = why;
      bad_line = line_no;
      pos = nl + 1;
      continue;
    }
    const nlohmann::json& j = parsed->json;
    const std::string type = Str(j, "type");
    if (out.next_seq == 0) {
      if (type != "header" || Str(j, "format") != kFormat) {
        return Status::Corruption(path + ":1: not a secretgate bypass-requests journal");
      }
      if (!j.contains("version") || !j["version"].is_number_integer() || j["version"] != kVersion) {
        return Status::Corruption(path + ":1: unknown version");
      }
    } else if (type == "requested") {
      BypassRequest r;
      r.number = j.value("request", int64_t{0});
      if (r.number != static_cast<int64_t>(out.requests.size()) + 1) {
        return Status::Corruption(path + ":" + std::to_string(line_no) +
                                  ": request number out of sequence");
      }
      r.repository = Str(j, "repository");
      r.requester = Str(j, "actor");
      r.comment = Str(j, "comment");
      r.created_at = Str(j, "at");
      r.expires_at = Str(j, "expires_at");
      r.refs = Strings(j, "refs");
      r.commits = Strings(j, "commits");
      r.paths = Strings(j, "paths");
      r.rules = Strings(j, "rules");
      if (auto a = j.find("alerts"); a != j.end() && a->is_array()) {
        for (const auto& v : *a) {
          if (v.is_number_integer()) r.alerts.push_back(v.get<int64_t>());
        }
      }
      r.status = "pending";
      out.requests.push_back(std::move(r));
    } else if (type == "reviewed") {
      int64_t n = j.value("request", int64_t{0});
      if (n < 1 || n > static_cast<int64_t>(out.requests.size()) ||
          out.requests[n - 1].status != "pending") {
        return Status::Corruption(path + ":" + std::to_string(line_no) +
                                  ": review of an unknown or already reviewed request");
      }
      BypassRequest& r = out.requests[n - 1];
      const std::string decision = Str(j, "decision");
      if (decision != "approved" && decision != "denied") {
        return Status::Corruption(path + ":" + std::to_string(line_no) + ": unknown decision");
      }
      r.status = decision;
      r.reviewer = Str(j, "actor");
      r.review_comment = Str(j, "comment");
      r.reviewed_at = Str(j, "at");
      r.valid_until = Str(j, "valid_until");
    } else {
      return Status::Corruption(path + ":" + std::to_string(line_no) + ": unknown record type");
    }
    out.next_seq = parsed->seq + 1;
    out.last_sum = parsed->sum;
    pos = nl + 1;
    out.good_end = pos;
  }
  if (bad && repair) {
    // The remains of an append that never reached its fsync: nobody was told it succeeded.
    auto fd = dir_.OpenFile(kJournalFile, O_RDWR);
    if (!fd.ok()) return fd.status();
    if (::ftruncate(fd->get(), static_cast<off_t>(out.good_end)) != 0 || ::fsync(fd->get()) != 0) {
      return Status::IOError("cutting back " + path + ": " + std::strerror(errno));
    }
    out.file_size = out.good_end;
  }
  // RFC 3339 UTC strings of one fixed shape compare as times.
  const std::string now_s = Time(now);
  for (auto& r : out.requests) {
    if (r.status == "pending" && !r.expires_at.empty() && r.expires_at <= now_s)
      r.status = "expired";
  }
  return out;
}

Status BypassJournal::Append(const Loaded& at, const std::string& type,
                             const std::string& fields_json) {
  const std::string path = dir_.PathOf(kJournalFile);
  if (!at.exists && !create_) return Status::NotFound("no bypass requests in " + dir_.path());
  std::string bytes, sum, prev = at.last_sum;
  int64_t seq = at.next_seq;
  if (seq == 0) {
    nlohmann::ordered_json h;
    h["format"] = kFormat;
    h["version"] = kVersion;
    h["repository"] = repository_;
    h["at"] = NowRfc3339();
    bytes += EncodeLine(seq++, "header", h, prev, &sum);
    prev = sum;
  }
  bytes += EncodeLine(seq, type, nlohmann::ordered_json::parse(fields_json), prev, &sum);
  auto fd = dir_.OpenFile(kJournalFile, O_RDWR | O_CREAT, modes_);
  if (!fd.ok()) return fd.status();
  if (!at.exists) SG_RETURN_IF_ERROR(modes_.Apply(fd->get(), path));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd->get(), bytes.data() + done, bytes.size() - done,
                         static_cast<off_t>(at.good_end + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("write " + path + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd->get()) != 0)
    return Status::IOError("fsync " + path + ": " + std::strerror(errno));
  if (!at.exists) return dir_.Sync();  // the new file's directory entry
  return Status::Ok();
}

Result<BypassRequest> BypassJournal::File(const NewRequest& req, Clock::time_point now,
                                          const Durations& d) {
  if (req.comment.empty()) return Status::Invalid("a bypass request needs a comment saying why");
  if (req.alerts.empty()) return Status::Invalid("a bypass request must name the alerts it covers");
  auto lock = Lock();
  if (!lock.ok()) return lock.status();
  auto cur = Load(now, /*repair=*/true);
  if (!cur.ok()) return cur.status();
  BypassRequest r;
  r.number = static_cast<int64_t>(cur->requests.size()) + 1;
  r.repository = repository_;
  r.requester = req.requester;
  r.comment = req.comment;
  r.created_at = Time(now);
  r.expires_at = Time(now + d.expiry);
  r.refs = req.refs;
  r.commits = req.commits;
  r.paths = req.paths;
  r.rules = req.rules;
  r.alerts = req.alerts;
  r.status = "pending";
  nlohmann::ordered_json f;
  f["at"] = r.created_at;
  f["actor"] = r.requester;
  f["request"] = r.number;
  f["repository"] = r.repository;
  f["comment"] = r.comment;
  f["refs"] = r.refs;
  f["commits"] = r.commits;
  f["paths"] = r.paths;
  f["rules"] = r.rules;
  f["alerts"] = r.alerts;
  f["expires_at"] = r.expires_at;
  SG_RETURN_IF_ERROR(Append(*cur, "requested", Dump(f)));
  return r;
}

Result<BypassRequest> BypassJournal::Review(int64_t number, bool approve, std::string_view reviewer,
                                            std::string_view comment, Clock::time_point now,
                                            const Durations& d) {
  auto lock = Lock();
  if (!lock.ok()) return lock.status();
  auto cur = Load(now, /*repair=*/true);
  if (!cur.ok()) return cur.status();
  if (number < 1 || number > static_cast<int64_t>(cur->requests.size())) {
    return Status::NotFound("no bypass request " + std::to_string(number));
  }
  BypassRequest r = cur->requests[number - 1];
  if (r.status != "pending") {
    return Status::Conflict("bypass request " + std::to_string(number) + " is " + r.status);
  }
  if (reviewer == r.requester) {
    return Status::Invalid("a bypass request cannot be reviewed by its requester (" +
                           EscapeControl(reviewer) + ")");
  }
  r.status = approve ? "approved" : "denied";
  r.reviewer = std::string(reviewer);
  r.review_comment = std::string(comment);
  r.reviewed_at = Time(now);
  if (approve) r.valid_until = Time(now + d.window);
  nlohmann::ordered_json f;
  f["at"] = r.reviewed_at;
  f["actor"] = r.reviewer;
  f["request"] = number;
  f["decision"] = r.status;
  f["comment"] = r.review_comment.empty() ? nlohmann::ordered_json()
                                          : nlohmann::ordered_json(r.review_comment);
  f["valid_until"] = approve ? nlohmann::ordered_json(r.valid_until) : nlohmann::ordered_json();
  SG_RETURN_IF_ERROR(Append(*cur, "reviewed", Dump(f)));
  return r;
}

Result<std::vector<BypassRequest>> BypassJournal::List(Clock::time_point now) {
  auto cur = Load(now, /*repair=*/false);
  if (!cur.ok()) return cur.status();
  return std::move(cur->requests);
}

Result<BypassRequest> BypassJournal::Get(int64_t number, Clock::time_point now) {
  auto all = List(now);
  if (!all.ok()) return all.status();
  if (number < 1 || number > static_cast<int64_t>(all->size())) {
    return Status::NotFound("no bypass request " + std::to_string(number));
  }
  return (*all)[number - 1];
}

Result<std::optional<BypassRequest>> BypassJournal::FindApproved(std::string_view pusher,
                                                                 const std::vector<int64_t>& alerts,
                                                                 Clock::time_point now) {
  auto all = List(now);
  if (!all.ok()) return all.status();
  const std::string now_s = Time(now);
  for (auto it = all->rbegin(); it != all->rend(); ++it) {
    if (it->status != "approved" || it->requester != pusher || it->valid_until <= now_s) continue;
    bool covers = std::all_of(alerts.begin(), alerts.end(), [&](int64_t a) {
      return std::find(it->alerts.begin(), it->alerts.end(), a) != it->alerts.end();
    });
    if (covers) return std::optional<BypassRequest>(*it);
  }
  return std::optional<BypassRequest>();
}

}  // namespace sg::bypass
