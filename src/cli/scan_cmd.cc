// secretgate scan PATH: a repository's history (or a range of it) or a directory, for audits
// and CI jobs (help: cli/command_table.cc). Output formats are sinks in report/; baselines in
// cli/baseline.
#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>

#include "cli/args.h"
#include "cli/baseline.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/progress.h"
#include "cli/record.h"
#include "inspect/history.h"
#include "log/log.h"
#include "report/report.h"
#include "report/sarif.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::cli {

namespace {

// Findings the baseline accepts, by detection index.
Result<std::vector<bool>> Baselined(
    const std::string& mode, const std::optional<std::string>& key_path,
    const std::vector<inspect::Detection>& ds,
    const std::vector<std::optional<store::RecordOutcome>>& outcomes,
    const std::optional<git::Repository>& repo, const config::Config& cfg, bool recorded) {
  std::vector<bool> out(ds.size(), false);
  if (mode == "none") return out;
  if (mode == "store") {
    if (!repo || !cfg.store) return out;
    if (recorded) {
      for (size_t i = 0; i < ds.size(); ++i) {
        out[i] = outcomes[i] && outcomes[i]->state == "resolved";
      }
      return out;
    }
    // --no-store: read the store only if it exists (nothing is written).
    store::OpenOptions o = StoreOptionsAt(repo->git_dir(), cfg);
    if (o.server_wide || !PathExists(o.dir + "/journal.jsonl")) return out;
    auto st = store::Store::Open(o);
    if (!st.ok()) return st.status().WithContext("reading the baseline from the alert store");
    for (size_t i = 0; i < ds.size(); ++i) {
      if (ds[i].suppressed()) continue;
      auto a = st->FindBySecret(ds[i].finding.rule->id, ds[i].finding.secret);
      if (!a.ok()) return a.status();
      out[i] = a->has_value() && (*a)->state == "resolved";
    }
    return out;
  }
  auto key = LoadBaselineKey(key_path, false);
  if (!key.ok()) return key.status();
  auto fps = ReadBaseline(mode, *key);
  if (!fps.ok()) return fps.status();
  for (size_t i = 0; i < ds.size(); ++i) {
    out[i] =
        fps->count(BaselineFingerprint(*key, ds[i].finding.rule->id, ds[i].finding.secret)) > 0;
  }
  return out;
}

}  // namespace

int RunScan(const Args& args) {
  const std::string format = args.Get("format").value_or("text");
  if (format != "text" && format != "json" && format != "sarif" && format != "csv") {
    return ReportError(Status::Invalid("--format must be text, json, sarif or csv, not '" +
                                       EscapeControl(format) + "'"));
  }
  const std::string progress_when = args.Get("progress").value_or("auto");
  if (progress_when != "auto" && progress_when != "always" && progress_when != "never") {
    return ReportError(Status::Invalid("--progress must be auto, always or never"));
  }
  const std::string path = args.positional()[0];
  if (!PathExists(path)) return ReportError(Status::NotFound("no such file or directory: " + path));
  log::SetupStderr("warn");

  // A repository is scanned through git; anything else as files, without starting libgit2
  // (a linked worktree's git dir has a commondir file instead of objects/ and refs/).
  std::optional<git::Repository> repo;
  if (IsDirectory(path) && (git::LooksLikeGitDir(path) || PathExists(path + "/commondir"))) {
    auto r = git::Repository::Open(path);
    // Scanning it as plain files would read compressed objects and find nothing.
    if (!r.ok()) return ReportError(r.status());
    repo = std::move(*r);
  }
  git::CommitSelection selection;
  selection.range = args.Get("range").value_or("");
  selection.branch = args.Get("branch").value_or("");
  if (auto since = args.Get("since")) {
    auto t = git::ParseSince(*since);
    if (!t.ok()) return ReportError(t.status());
    selection.since = *t;
  }
  if (!selection.empty() && !repo) {
    return ReportError(Status::Invalid("--range, --branch and --since need a git repository; " +
                                       path + " is not one"));
  }
  // A directory's listing starts now, alongside loading the rules.
  std::optional<inspect::PathListing> listing;
  if (!repo) listing.emplace(path);
  auto cfg = LoadConfig(repo ? &*repo : nullptr);
  if (!cfg.ok()) return ReportError(cfg.status());
  if (args.Has("rules")) {
    cfg->rules = args.GetAll("rules");
    cfg->rules_set = true;
  }
  const bool will_record = repo && cfg->store && !args.Has("no-store");
  const std::string baseline_mode = args.Get("baseline").value_or(repo ? "store" : "none");
  if (baseline_mode != "store" && baseline_mode != "none" && !PathExists(baseline_mode)) {
    return ReportError(Status::NotFound("--baseline: no such file: " + baseline_mode));
  }
  auto engine = BuildEngine(*cfg, repo ? repo->git_dir() + "/secretgate/cache" : "/tmp");
  if (!engine.ok()) return ReportError(engine.status());
  KeepUntilExit(*engine);

  inspect::ScanOptions options;
  options.max_blob_size = cfg->max_blob_size;
  options.exclude_paths = cfg->exclude_paths;
  if (auto t = args.Get("threads")) {
    char* end = nullptr;
    long v = std::strtol(t->c_str(), &end, 10);
    if (end == t->c_str() || *end || v < 1 || v > 256) {
      return ReportError(Status::Invalid("--threads must be a number from 1 to 256, not '" +
                                         EscapeControl(*t) + "'"));
    }
    options.threads = static_cast<unsigned>(v);
  }
  std::atomic<uint64_t> bytes{0};
  options.progress = &bytes;
  Result<inspect::ScanResult> result = Status::Internal("not scanned");
  {
    std::optional<Progress> progress;
    if (progress_when != "never") {
      progress.emplace(bytes, std::chrono::seconds(2), progress_when == "always");
    }
    result = !repo               ? inspect::ScanPath(*listing, *engine, options)
             : selection.empty() ? inspect::ScanHistory(*repo, *engine, options)
                                 : inspect::ScanCommits(*repo, selection, *engine, options);
  }
  if (!result.ok()) return ReportError(result.status());
  const auto& ds = result->detections;
  for (const auto& d : ds) {
    if (d.suppressed()) {
      spdlog::info("suppressed {} in {}: {}", d.finding.rule->id, report::WhereText(d),
                   d.finding.suppressed_by);
    }
  }
  std::vector<std::optional<store::RecordOutcome>> outcomes(ds.size());
  if (will_record && !ds.empty()) {
    RecordContext ctx;
    ctx.actor = OsUser();
    RecordResult recorded = RecordDetections(*repo, *cfg, ds, ctx);
    if (!recorded.status.ok() && !recorded.spooled) {
      return ReportError(
          recorded.status.WithContext("recording alerts (and saving them to the "
                                      "pending spool: " +
                                      recorded.spool_status.message() + ")"));
    }
    if (!recorded.status.ok()) {
      std::cerr << "secretgate: warning: the alert store could not record the findings ("
                << recorded.status.message()
                << "); they were saved and will be recorded when the store opens again\n";
    }
    outcomes = std::move(recorded.outcomes);
  }
  auto baselined =
      Baselined(baseline_mode, args.Get("baseline-key"), ds, outcomes, repo, *cfg, will_record);
  if (!baselined.ok()) return ReportError(baselined.status());
  std::vector<const inspect::Detection*> shown, accepted, all;
  for (size_t i = 0; i < ds.size(); ++i) {
    if (ds[i].suppressed()) continue;
    all.push_back(&ds[i]);
    ((*baselined)[i] ? accepted : shown).push_back(&ds[i]);
  }
  if (auto file = args.Get("write-baseline")) {
    auto key = LoadBaselineKey(args.Get("baseline-key"), true);
    if (!key.ok()) return ReportError(key.status());
    Status s = WriteBaseline(*file, *key, all);
    if (!s.ok()) return ReportError(s);
  }

  std::string out = format == "json"    ? report::ScanJson(shown)
                    : format == "sarif" ? report::ScanSarif(shown, accepted)
                    : format == "csv"   ? report::ScanCsv(shown, accepted)
                                        : report::ScanText(shown, args.Has("all-locations"));
  if (format == "text" && !accepted.empty()) {
    out += std::to_string(accepted.size()) + " more in the baseline (not shown)\n";
  }
  if (auto file = args.Get("report")) {
    Status s = WriteFileAtomic(*file, out, 0644);
    if (!s.ok()) return ReportError(s);
    std::cout << shown.size() << " finding" << (shown.size() == 1 ? "" : "s") << ", "
              << accepted.size() << " baselined; report written to " << EscapeControl(*file)
              << "\n";
  } else {
    std::cout << out;
  }
  return shown.empty() ? kExitOk : kExitFound;
}

}  // namespace sg::cli
