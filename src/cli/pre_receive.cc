// secretgate pre-receive: the hook. Reads the ref updates, scans what the push adds, records
// every finding as an alert, applies the policy and answers git: exit 0 accepts, 1 rejects.
// stderr is the pusher's terminal; logs go to the log file only.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "cli/args.h"
#include "cli/bypass_request.h"
#include "cli/chain.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/exclusions.h"
#include "cli/push_log.h"
#include "cli/record.h"
#include "inspect/push.h"
#include "log/log.h"
#include "policy/policy.h"
#include "queue/pending.h"
#include "queue/scan_debt.h"
#include "report/report.h"
#include "util/text.h"

namespace sg::cli {
namespace {

using Clock = std::chrono::steady_clock;

const char* Getenv(const char* name) { return std::getenv(name); }

std::string LinePrefix() { return policy::UnderGitLab(Getenv) ? "GL-HOOK-ERR: " : ""; }

// An internal error: the fail mode decides. An error event in the log, short for the pusher.
int Fail(const PushLog& events, const Status& status, bool fail_closed) {
  events.InternalError(status, fail_closed);
  std::cerr << LinePrefix() << "secretgate: internal error: " << EscapeControl(status.message())
            << "\n"
            << LinePrefix() << "secretgate: "
            << (fail_closed ? "push rejected (fail_mode=closed); contact your administrator"
                            : "push accepted without a secret scan (fail_mode=open)")
            << "\n";
  return fail_closed ? kExitFound : kExitOk;
}

// Milliseconds (with tenths) since `t`, for the debug-level phase timings.
double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

}  // namespace

int RunPreReceive(const Args& args) {
  const auto start = Clock::now();
  const PushLog events;
  // stderr is the pusher's until the log file is set up: nothing is logged there meanwhile.
  log::Setup("", "info", false);
  const std::string hook_dir = args.Get("hook-dir").value_or("");
  const std::string input = ReadStdin();

  bool fail_closed = false;
  auto early = LoadConfigFile();  // before the repository, so that its fail mode applies
  if (early.ok()) fail_closed = early->fail_closed;

  auto repo = git::Repository::OpenForHook();
  if (!repo.ok()) return Fail(events, repo.status(), fail_closed);
  auto cfg = LoadConfig(&*repo, std::move(early));
  std::string default_log = repo->git_dir() + "/secretgate/secretgate.log";
  // Where the log goes when the store's directory cannot take it (another user's, a link).
  const std::string fallback_log = queue::SpoolDir(repo->git_dir()) + "/secretgate.log";
  if (!cfg.ok()) {
    log::Setup(default_log, "info", false, {fallback_log});
    return Fail(events, cfg.status(), fail_closed);
  }
  fail_closed = cfg->fail_closed;
  log::Setup(cfg->log_file.empty() ? default_log : cfg->log_file, cfg->log_level, false,
             {fallback_log}, cfg->store_gid >= 0 ? 0660 : 0600, LogOutput(*cfg));
  events.Phase("config", MsSince(start));

  auto updates = git::ParseRefUpdates(input);
  if (!updates.ok()) return Fail(events, updates.status(), fail_closed);

  auto phase = Clock::now();
  auto engine = BuildEngine(*cfg, repo->git_dir() + "/secretgate/cache");
  if (!engine.ok()) return Fail(events, engine.status(), fail_closed);
  KeepUntilExit(*engine);
  events.Phase("engine", MsSince(phase),
               (*engine)->cache_hit() ? "compiled cache" : "compiled now");
  phase = Clock::now();
  scan::Scanner scanner(*engine);
  inspect::ScanOptions options;
  options.max_blob_size = cfg->max_blob_size;
  options.deadline =
      start + std::chrono::milliseconds(static_cast<int64_t>(cfg->timeout_seconds * 1000));
  options.exclude_paths = cfg->exclude_paths;
  for (auto& g : TrustedExclusions(*repo, *cfg, &events)) {
    options.exclude_paths.push_back(std::move(g));
  }

  auto result = inspect::ScanPush(*repo, *updates, scanner, options);
  if (!result.ok()) return Fail(events, result.status(), fail_closed);
  events.Phase("scan", MsSince(phase));

  const policy::Identity pusher = policy::WhoPushed(Getenv, OsUser());
  const auto push_options = policy::PushOptions(Getenv);
  const auto bypass_req = policy::RequestedBypass(push_options);

  size_t suppressed = 0;
  for (const auto& d : result->detections) {
    if (d.suppressed()) {
      ++suppressed;
      events.Suppressed(d);
    }
  }

  // Record first (durably), then decide: an alert someone resolved no longer blocks. The verdict
  // comes from the scan whatever the store says: a store that cannot record (lock, permissions,
  // damage) spools the findings and they block exactly as they would have.
  RecordResult recorded;
  recorded.outcomes.resize(result->detections.size());
  if (cfg->store) {
    RecordContext ctx;
    ctx.actor = pusher.name;
    ctx.pushed_by = pusher.name;
    phase = Clock::now();
    recorded = RecordDetections(*repo, *cfg, result->detections, ctx);
    events.Phase("record", MsSince(phase));
  }

  // `below`: findings that the mode would block, of rules less confident than block_confidence.
  std::vector<const inspect::Detection*> blocking, warning, below;
  std::vector<bool> blocks(result->detections.size(), false);
  std::vector<std::string> modes(result->detections.size());
  for (size_t i = 0; i < result->detections.size(); ++i) {
    const auto& d = result->detections[i];
    if (d.suppressed()) continue;
    const auto& outcome = recorded.outcomes[i];
    if (outcome && outcome->state == "resolved") {  // logged below with mode=resolved
      modes[i] = "resolved";
      continue;
    }
    const policy::ModeDecision md = policy::DecideMode(*cfg, *d.finding.rule);
    modes[i] = std::string(config::ModeName(md.mode));
    if (md.below_block_confidence) modes[i] += "(below block_confidence)";
    switch (md.mode) {
      case config::Mode::kBlock:
        blocking.push_back(&d);
        blocks[i] = true;
        break;
      case config::Mode::kWarn:
        (md.below_block_confidence ? below : warning).push_back(&d);
        break;
      case config::Mode::kAudit:
        break;
    }
    if (md.below_block_confidence) {
      spdlog::info(
          "finding {} at {}: {} confidence is below block_confidence={}: warning, not "
          "blocking",
          d.finding.rule->id, report::WhereText(d),
          rules::ConfidenceName(d.finding.rule->confidence),
          rules::ConfidenceName(cfg->block_confidence));
    }
  }

  report::PusherOptions popts;
  popts.max_shown = static_cast<size_t>(cfg->max_findings_shown);
  popts.gitlab = policy::UnderGitLab(Getenv);
  popts.bypass_allowed = cfg->allow_bypass;
  for (const auto& u : *updates) {
    if (!u.IsDelete()) popts.tips.push_back(u.new_oid.Hex());
  }
  std::vector<std::string> notes;  // lines for the pusher after the findings
  popts.alerts = AlertLinks(*cfg, repo->git_dir(), FlaggedAlerts(blocks, recorded.outcomes));

  bool reject = !blocking.empty();
  std::string decision = reject ? "rejected" : "accepted";
  if (reject && cfg->bypass_requests && cfg->store) {  // delegated bypass (cli/bypass_request.h)
    auto through =
        ApplyDelegatedBypass(*repo, *cfg, pusher.name, push_options, *updates, result->detections,
                             blocks, recorded.outcomes, popts, notes, decision);
    if (!through.ok())
      return Fail(events, through.status().WithContext("recording the bypass"), fail_closed);
    reject = !*through;
  }
  policy::BypassVerdict bypass = policy::JudgeBypass(*cfg, bypass_req, pusher.name);
  if (reject && bypass_req) {
    std::string verdict = policy::BypassVerdictText(bypass, bypass_req);
    events.BypassRequested(pusher, bypass_req->reason, verdict);
    if (bypass == policy::BypassVerdict::kGranted) {
      bool kept = true;
      if (cfg->store) {
        RecordContext ctx;
        ctx.actor = pusher.name;
        ctx.pushed_by = pusher.name;
        ctx.bypass = store::Bypass{bypass_req->reason, bypass_req->comment, pusher.name};
        ctx.bypassed = blocks;
        RecordResult by = RecordDetections(*repo, *cfg, result->detections, ctx);
        if (!by.status.ok()) recorded.status = by.status;
        if (!by.spool_status.ok()) recorded.spool_status = by.spool_status;
        recorded.spooled = recorded.spooled || by.spooled;
        // A bypass nobody can ever see was granted is not granted.
        kept = by.status.ok() || by.spooled;
      }
      if (kept) {
        reject = false;
        decision = "accepted (bypass: " + bypass_req->reason + ")";
        popts.verdict = report::Verdict::kBypassed;
      } else {
        notes.push_back("secretgate: bypass refused: it could not be recorded");
      }
    } else {
      notes.push_back("secretgate: " + verdict);
    }
  }

  // The store could not record: say so, and say whether the findings are safe in the spool.
  const bool record_failed = !recorded.status.ok();
  if (record_failed) {
    events.RecordingFailed(recorded);
    notes.push_back("secretgate: the alert store could not record these findings: " +
                    EscapeControl(recorded.status.message()));
    if (recorded.spooled) {
      notes.push_back(
          "secretgate: they were saved and will be recorded when the store works again;"
          " please tell your administrator");
    } else {
      notes.push_back("secretgate: they could not be saved either (" +
                      EscapeControl(recorded.spool_status.message()) +
                      "); your administrator must look at the log");
      // Nothing durable holds what this push would bring in: fail_mode decides, as for any
      // failure that leaves no record.
      if (!reject && cfg->fail_closed) {
        reject = true;
        decision = "rejected (findings could not be recorded; fail_mode=closed)";
      }
    }
  }

  // Whatever the deadline left unscanned is queued for `secretgate drain` before git hears.
  if (!result->unscanned.empty()) {
    bool reject_timeout = cfg->reject_on_timeout;
    if (!reject && !reject_timeout) {
      queue::Debt debt;
      debt.pushed_by = pusher.name;
      debt.push_id = events.id();
      for (const auto& line : std::vector<git::RefUpdate>(*updates)) {
        debt.updates.push_back(line.old_oid.Hex() + " " + line.new_oid.Hex() + " " + line.ref);
      }
      debt.objects = result->unscanned;
      Status s = queue::Enqueue(repo->git_dir() + "/secretgate/debt", debt);
      if (!s.ok()) return Fail(events, s.WithContext("queueing the scan debt"), fail_closed);
      events.Deadline(cfg->timeout_seconds, debt.objects.size(), debt.id);
      std::cerr << LinePrefix() << "secretgate: the secret scan stopped at its "
                << cfg->timeout_seconds << "s limit; " << debt.objects.size()
                << " object(s) of this push will be scanned after it (what is found then is"
                   " recorded as alerts)\n";
    }
    if (reject_timeout && !reject) {
      reject = true;
      decision = "rejected (timeout)";
      std::cerr << LinePrefix()
                << "secretgate: push rejected: the secret scan did not finish within "
                << cfg->timeout_seconds << "s (on_timeout=reject); push fewer objects at a time\n";
    } else if (!reject) {
      decision += " (timeout: " + std::to_string(result->unscanned.size()) + " objects queued)";
    }
  }
  if (!reject) {
    if (std::string n = NoteExclusionsChange(*repo, *cfg, *updates, pusher.name); !n.empty()) {
      notes.push_back(n);
    }
  }
  for (const auto& n : notes) popts.note += (popts.note.empty() ? "" : "\n") + n;

  if (!blocking.empty()) {
    popts.verdict = reject ? report::Verdict::kRejected : popts.verdict;
    std::cerr << report::PusherMessage(blocking, popts);
  }
  if (!warning.empty()) {
    report::PusherOptions wopts = popts;
    wopts.verdict = report::Verdict::kWarned;
    if (!blocking.empty()) wopts.note.clear();  // said once, with the blocking findings
    wopts.alerts =
        AlertLinks(*cfg, repo->git_dir(), FlaggedAlerts(modes, "warn", recorded.outcomes));
    std::cerr << report::PusherMessage(warning, wopts);
  } else if (blocking.empty() && !popts.note.empty()) {
    std::cerr << report::PusherNote(popts.note, popts.gitlab);
  }
  if (!below.empty()) {
    report::PusherOptions bopts = popts;
    bopts.verdict = report::Verdict::kWarned;
    bopts.note.clear();
    bopts.block_confidence = std::string(rules::ConfidenceName(cfg->block_confidence));
    std::cerr << report::PusherMessage(below, bopts);
  }

  const auto& st = result->stats;
  if (st.given_up_match_limit + st.given_up_deadline > 0) {
    std::cerr << LinePrefix() << "secretgate: " << st.given_up_match_limit + st.given_up_deadline
              << " candidate secret(s) could not be checked to the end (PCRE2 match limit: "
              << st.given_up_match_limit << ", scan deadline: " << st.given_up_deadline
              << "); the log names them for your administrator\n";
  }
  PushSummary summary;
  summary.repository = repo->git_dir();
  summary.updates = *updates;
  summary.pusher = pusher;
  summary.stats = result->stats;
  summary.findings = result->detections.size();
  summary.blocking = blocking.size();
  summary.warning = warning.size();
  summary.suppressed = suppressed;
  summary.below_block_confidence = below.size();
  summary.recorded = !cfg->store        ? "off"
                     : !record_failed   ? "yes"
                     : recorded.spooled ? "spooled"
                                        : "FAILED";
  for (const auto& outcome : recorded.outcomes) {
    if (outcome && std::find(summary.alerts.begin(), summary.alerts.end(), outcome->number) ==
                       summary.alerts.end()) {
      summary.alerts.push_back(outcome->number);
    }
  }
  summary.decision = decision;
  summary.quarantine = result->from_quarantine;
  summary.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  events.Push(summary);
  // Every finding, whatever its mode, with what became of it: the log is the record of last
  // resort when the store could not take it.
  for (size_t i = 0; i < result->detections.size(); ++i) {
    const auto& d = result->detections[i];
    if (d.suppressed()) continue;
    events.Finding(d, modes[i], recorded, i, cfg->store);
  }
  if (reject) return kExitFound;
  return RunChainedHooks("pre-receive", hook_dir, repo->git_dir(), input);
}

}  // namespace sg::cli
