#include "cli/push_log.h"

#include <sys/random.h>
#include <unistd.h>

#include <chrono>

#include "log/event.h"
#include "report/report.h"
#include "util/text.h"

namespace sg::cli {
namespace {

std::string RandomId() {
  unsigned char bytes[8];
  if (::getrandom(bytes, sizeof bytes, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof bytes)) {
    // No entropy yet (early boot): unique enough from the clock and the process.
    const uint64_t t =
        static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    const uint64_t mixed = t ^ (static_cast<uint64_t>(::getpid()) << 48);
    for (size_t i = 0; i < sizeof bytes; ++i)
      bytes[i] = static_cast<unsigned char>(mixed >> (8 * i));
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

// The fields every finding event has: rule, place, commit and the redacted secret.
log::Event FindingEvent(spdlog::level::level_enum level, std::string_view name,
                        const std::string& push_id, const inspect::Detection& d) {
  log::Event e(level, name);
  e.Add("push_id", push_id)
      .Add("rule", d.finding.rule->id)
      .Add("where", log::Value::Escaped(report::WhereText(d)))
      .Add("commit", d.primary() ? log::Value(d.primary()->commit_sha) : log::Value())
      .Add("secret", log::Value::Escaped(Redact(d.finding.secret)));
  return e;
}

}  // namespace

PushLog::PushLog() : id_(RandomId()) {}

void PushLog::Phase(std::string_view phase, double ms, std::string_view detail) const {
  log::Event e(log::kDebug, "phase");
  e.Add("push_id", id_).Add("phase", phase).Add("ms", ms);
  if (!detail.empty()) e.Add("detail", detail);
  e.Emit();
}

void PushLog::InternalError(const Status& status, bool fail_closed) const {
  log::Event(log::kError, "internal_error")
      .Add("push_id", id_)
      .Add("decision", fail_closed ? "rejected" : "accepted unscanned")
      .Add("fail_mode", fail_closed ? "closed" : "open")
      .Add("error", status.message())
      .Emit();
}

void PushLog::Exclusions(size_t count, std::string_view file, std::string_view branch) const {
  log::Event(log::kInfo, "exclusions")
      .Add("push_id", id_)
      .Add("count", count)
      .Add("file", file)
      .Add("branch", branch)
      .Emit();
}

void PushLog::ExclusionsUnreadable(std::string_view file, std::string_view branch,
                                   const Status& why) const {
  log::Event(log::kWarn, "exclusions_unreadable")
      .Add("push_id", id_)
      .Add("file", file)
      .Add("branch", branch)
      .Add("error", why.message())
      .Emit();
}

void PushLog::Suppressed(const inspect::Detection& d) const {
  FindingEvent(log::kWarn, "finding_suppressed", id_, d)
      .Add("reason", d.finding.suppressed_by)
      .Emit();
}

void PushLog::BypassRequested(const policy::Identity& pusher, std::string_view reason,
                              std::string_view verdict) const {
  log::Event(log::kWarn, "bypass_requested")
      .Add("push_id", id_)
      .Add("pusher", pusher.name)
      .Add("pusher_source", pusher.source)
      .Add("reason", reason)
      .Add("verdict", verdict)
      .Emit();
}

void PushLog::RecordingFailed(const RecordResult& r) const {
  log::Event e(log::kError, "recording_failed");
  e.Add("push_id", id_)
      .Add("findings", r.recorded)
      .Add("error", r.status.message())
      .Add("spooled", r.spooled);
  if (!r.spooled) e.Add("spool_error", r.spool_status.message());
  e.Emit();
}

void PushLog::Deadline(double timeout_seconds, size_t objects, std::string_view debt) const {
  log::Event(log::kWarn, "scan_deadline")
      .Add("push_id", id_)
      .Add("timeout", timeout_seconds)
      .Add("queued_objects", objects)
      .Add("debt", debt)
      .Emit();
}

void PushLog::Finding(const inspect::Detection& d, std::string_view mode,
                      const RecordResult& recorded, size_t index, bool store) const {
  const auto& alert = recorded.outcomes[index];
  FindingEvent(log::kWarn, "finding", id_, d)
      .Add("mode", mode)
      .Add("alert", alert ? log::Value(alert->number) : log::Value())
      .Add("recorded", alert              ? "yes"
                       : !store           ? "off"
                       : recorded.spooled ? "spooled"
                                          : "unrecorded")
      .Emit();
}

void PushLog::Push(const PushSummary& s) const {
  std::vector<std::string> refs;
  std::vector<log::Value> updates;
  for (const auto& u : s.updates) {
    refs.push_back(u.ref);
    updates.push_back(
        log::Value::Obj({{"ref", u.ref}, {"old", u.old_oid.Hex()}, {"new", u.new_oid.Hex()}}));
  }
  std::vector<log::Value> alerts(s.alerts.begin(), s.alerts.end());
  const auto& st = s.stats;
  log::Event(log::kInfo, "push")
      .Add("push_id", id_)
      .Add("repository", s.repository)
      .Add("refs", log::Value::Strings(refs))
      .Add("updates", log::Value(std::move(updates)))
      .Add("pusher", s.pusher.name)
      .Add("pusher_source", s.pusher.source)
      .Add("objects", st.objects)
      .Add("blobs", st.blobs_scanned)
      .Add("bytes", st.bytes_scanned)
      .Add("commits", st.commits)
      .Add("tags", st.tags)
      .Add("skipped_binary", st.skipped_binary)
      .Add("skipped_large", st.skipped_large)
      .Add("unscanned", st.unscanned)
      .Add("given_up_match_limit", st.given_up_match_limit)
      .Add("given_up_deadline", st.given_up_deadline)
      .Add("findings", s.findings)
      .Add("blocking", s.blocking)
      .Add("warning", s.warning)
      .Add("suppressed", s.suppressed)
      .Add("recorded", s.recorded)
      .Add("alerts", log::Value(std::move(alerts)))
      .Add("below_block_confidence", s.below_block_confidence)
      .Add("decision", s.decision)
      .Add("quarantine", s.quarantine)
      .Add("duration_ms", s.duration_ms)
      .Emit();
}

}  // namespace sg::cli
