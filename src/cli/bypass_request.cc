#include "cli/bypass_request.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "cli/record.h"
#include "store/layout.h"
#include "util/text.h"

namespace sg::cli {
namespace {

bypass::Durations DurationsOf(const config::Config& cfg) {
  bypass::Durations d;
  d.expiry = std::chrono::seconds(static_cast<int64_t>(cfg.bypass_request_days * 86400));
  d.window = std::chrono::seconds(static_cast<int64_t>(cfg.bypass_window_days * 86400));
  return d;
}

std::optional<std::string> RequestOption(const std::vector<std::string>& options) {
  constexpr std::string_view kKey = "secretgate.bypass-request=";
  std::optional<std::string> out;
  for (const auto& o : options) {
    if (o.rfind(kKey, 0) == 0) out = o.substr(kKey.size());
  }
  return out;
}

std::string RequestPage(const config::Config& cfg, const std::string& git_dir, int64_t n) {
  if (cfg.serve_url.empty()) return "";
  return cfg.serve_url + "/" + ServedName(git_dir) + "/security/secret-scanning/bypass-requests/" +
         std::to_string(n);
}

}  // namespace

std::string ServedName(const std::string& git_dir) {
  std::string d = git_dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  size_t s1 = d.rfind('/');
  std::string name = s1 == std::string::npos ? d : d.substr(s1 + 1);
  std::string owner;
  if (s1 != std::string::npos && s1 > 0) {
    size_t s0 = d.rfind('/', s1 - 1);
    owner =
        d.substr(s0 == std::string::npos ? 0 : s0 + 1, s1 - (s0 == std::string::npos ? 0 : s0 + 1));
  }
  if (name.size() > 4 && name.ends_with(".git")) name.resize(name.size() - 4);
  return owner + "/" + name;
}

std::vector<std::string> AlertLinks(const config::Config& cfg, const std::string& git_dir,
                                    const std::vector<int64_t>& alerts) {
  std::vector<std::string> out;
  for (int64_t n : alerts) {
    if (n <= 0) {
      out.emplace_back();
      continue;
    }
    std::string s = "#" + std::to_string(n);
    if (!cfg.serve_url.empty()) {
      s += " " + cfg.serve_url + "/" + ServedName(git_dir) + "/security/secret-scanning/" +
           std::to_string(n);
    }
    out.push_back(std::move(s));
  }
  return out;
}

store::Bypass ApprovedBypass(const bypass::BypassRequest& r, const std::string& pusher) {
  // The alert journal's bypass record keeps its format: the request, its reviewer and the
  // reviewer's comment go into the comment, so the alert's timeline names them.
  std::string comment = r.comment + " [bypass request #" + std::to_string(r.number) +
                        " approved by " + r.reviewer +
                        (r.review_comment.empty() ? "" : ": " + r.review_comment) + "]";
  return store::Bypass{"will_fix_later", comment, pusher};
}

DelegatedBypass DecideDelegatedBypass(const config::Config& cfg, const std::string& git_dir,
                                      const std::string& pusher,
                                      const std::vector<std::string>& push_options,
                                      const std::vector<git::RefUpdate>& updates,
                                      const std::vector<const inspect::Detection*>& blocking,
                                      const std::vector<int64_t>& alerts) {
  DelegatedBypass out;
  const std::string how =
      "secretgate: to ask a reviewer for an exception: git push -o "
      "secretgate.bypass-request=\"why\"";
  if (std::find(alerts.begin(), alerts.end(), 0) != alerts.end() || alerts.empty()) {
    out.notes = {"secretgate: bypass requests need every blocking secret recorded as an alert"};
    return out;
  }
  auto paths = store::ResolvePaths(StoreOptionsAt(git_dir, cfg));
  if (!paths.ok()) {
    spdlog::error("bypass requests: {}", paths.status().message());
    out.notes = {"secretgate: bypass requests are unavailable (see the server log)"};
    return out;
  }
  auto journal = bypass::BypassJournal::Open(paths->dir, git_dir, true);
  const auto now = std::chrono::system_clock::now();
  if (!journal.ok()) {
    spdlog::error("bypass requests: {}", journal.status().message());
    out.notes = {"secretgate: bypass requests are unavailable (see the server log)"};
    return out;
  }
  auto approved = journal->FindApproved(pusher, alerts, now);
  if (!approved.ok()) {
    spdlog::error("bypass requests: {}", approved.status().message());
  } else if (approved->has_value()) {
    out.approved = **approved;
    spdlog::warn("bypass request #{} (approved by {}) lets {} push {} alert(s)",
                 out.approved->number, out.approved->reviewer, pusher, alerts.size());
    return out;
  }
  auto why = RequestOption(push_options);
  if (!why) {
    out.notes = {how};
    return out;
  }
  if (why->empty()) {
    out.notes = {
        "secretgate: a bypass request needs a reason: -o secretgate.bypass-request=\"why\""};
    return out;
  }
  bypass::NewRequest req;
  req.requester = pusher;
  req.comment = why->substr(0, 4096);
  for (const auto& u : updates) {
    req.refs.push_back(u.ref);
    if (!u.IsDelete()) req.commits.push_back(u.new_oid.Hex());
  }
  std::vector<int64_t> seen;
  for (size_t i = 0; i < blocking.size() && i < alerts.size(); ++i) {
    if (std::find(seen.begin(), seen.end(), alerts[i]) != seen.end()) continue;
    seen.push_back(alerts[i]);
    const inspect::Origin* o = blocking[i]->primary();
    req.alerts.push_back(alerts[i]);
    req.rules.push_back(blocking[i]->finding.rule->id);
    req.paths.push_back(o ? o->path : "");
  }
  auto filed = journal->File(req, now, DurationsOf(cfg));
  if (!filed.ok()) {
    spdlog::error("bypass request by {} not filed: {}", pusher, filed.status().message());
    out.notes = {"secretgate: the bypass request could not be filed (see the server log)"};
    return out;
  }
  spdlog::warn("bypass request #{} filed by {} for {} alert(s)", filed->number, pusher,
               filed->alerts.size());
  std::string page = RequestPage(cfg, git_dir, filed->number);
  out.notes = {"secretgate: bypass request #" + std::to_string(filed->number) + " filed" +
                   (page.empty() ? "" : ": " + page),
               "secretgate: a reviewer must approve it (it expires " + filed->expires_at +
                   "); then push again"};
  return out;
}

std::vector<int64_t> FlaggedAlerts(
    const std::vector<bool>& flags,
    const std::vector<std::optional<store::RecordOutcome>>& outcomes) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < flags.size(); ++i) {
    if (flags[i]) out.push_back(i < outcomes.size() && outcomes[i] ? outcomes[i]->number : 0);
  }
  return out;
}

std::vector<int64_t> FlaggedAlerts(
    const std::vector<std::string>& modes, std::string_view mode,
    const std::vector<std::optional<store::RecordOutcome>>& outcomes) {
  std::vector<bool> flags(modes.size());
  for (size_t i = 0; i < modes.size(); ++i) flags[i] = modes[i] == mode;
  return FlaggedAlerts(flags, outcomes);
}

Result<bool> ApplyDelegatedBypass(
    const git::Repository& repo, const config::Config& cfg, const std::string& pusher,
    const std::vector<std::string>& push_options, const std::vector<git::RefUpdate>& updates,
    const std::vector<inspect::Detection>& detections, const std::vector<bool>& blocks,
    const std::vector<std::optional<store::RecordOutcome>>& outcomes, report::PusherOptions& popts,
    std::vector<std::string>& notes, std::string& decision) {
  std::vector<const inspect::Detection*> blocking;
  for (size_t i = 0; i < detections.size() && i < blocks.size(); ++i) {
    if (blocks[i]) blocking.push_back(&detections[i]);
  }
  DelegatedBypass d = DecideDelegatedBypass(cfg, repo.git_dir(), pusher, push_options, updates,
                                            blocking, FlaggedAlerts(blocks, outcomes));
  notes.insert(notes.end(), d.notes.begin(), d.notes.end());
  if (!d.approved) return false;
  RecordContext ctx;
  ctx.actor = pusher;
  ctx.pushed_by = pusher;
  ctx.bypass = ApprovedBypass(*d.approved, pusher);
  ctx.bypassed = blocks;
  RecordResult recorded = RecordDetections(repo, cfg, detections, ctx);
  if (!recorded.status.ok() && !recorded.spooled) return recorded.status;
  decision = "accepted (bypass request #" + std::to_string(d.approved->number) + " approved by " +
             d.approved->reviewer + ")";
  popts.verdict = report::Verdict::kBypassed;
  return true;
}

}  // namespace sg::cli
