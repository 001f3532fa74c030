// secretgate scan PATH [--format text|json] [--no-store]
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/record.h"
#include "inspect/history.h"
#include "log/log.h"
#include "report/report.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::cli {

namespace {
constexpr char kHelp[] =
    "usage: secretgate scan PATH [--format text|json] [--no-store] [--rules PATH]...\n"
    "  PATH is a git repository (every blob of its object database is scanned once; blobs\n"
    "  with findings are placed at the first commit and path that hold them) or a\n"
    "  plain directory or file. Findings in a repository are recorded as alerts unless\n"
    "  --no-store. Exit 0 when nothing is found, 1 when secrets are found, 2 on error.\n"
    "  --format   text (default) or json: {\"findings\":[{rule_id, secret_type_display_name,\n"
    "             path, start_line, end_line, start_column, end_column, commit_sha, blob_sha,\n"
    "             secret_redacted}]}\n"
    "  --rules    rule file or directory to use instead of the configured rules\n"
    "  --threads  reader threads (default: one per core)\n";
}

int RunScan(const Argv& argv) {
  auto args = Args::Parse(argv, {"format", "rules", "threads"}, {"help", "no-store"});
  if (!args.ok()) return ReportError(args.status());
  if (args->Has("help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args->positional().size() != 1) {
    std::cerr << kHelp;
    return kExitError;
  }
  std::string format = args->Get("format").value_or("text");
  if (format != "text" && format != "json") {
    return ReportError(Status::Invalid("--format must be text or json, not '" + format + "'"));
  }
  const std::string path = args->positional()[0];
  if (!PathExists(path)) return ReportError(Status::NotFound("no such file or directory: " + path));
  log::SetupStderr("warn");

  // A repository is scanned through git; anything else as files.
  std::optional<git::Repository> repo;
  git::InitLibgit2();
  if (IsDirectory(path)) {
    auto r = git::Repository::Open(path);
    if (r.ok()) {
      repo = std::move(*r);
    } else if (git::LooksLikeGitDir(path)) {
      // Scanning it as plain files would read compressed objects and find nothing.
      return ReportError(r.status());
    }
  }
  auto cfg = LoadConfig(repo ? &*repo : nullptr);
  if (!cfg.ok()) return ReportError(cfg.status());
  if (args->Has("rules")) cfg->rules = args->GetAll("rules");
  auto engine = BuildEngine(*cfg, repo ? repo->git_dir() + "/secretgate/cache" : "/tmp");
  if (!engine.ok()) return ReportError(engine.status());
  inspect::ScanOptions options;
  options.max_blob_size = cfg->max_blob_size;
  options.exclude_paths = cfg->exclude_paths;
  if (auto t = args->Get("threads")) {
    char* end = nullptr;
    long v = std::strtol(t->c_str(), &end, 10);
    if (end == t->c_str() || *end || v < 1 || v > 256) {
      return ReportError(Status::Invalid("--threads must be a number from 1 to 256, not '" +
                                         EscapeControl(*t) + "'"));
    }
    options.threads = static_cast<unsigned>(v);
  }
  auto result = repo ? inspect::ScanHistory(*repo, *engine, options)
                     : inspect::ScanPath(path, *engine, options);
  if (!result.ok()) return ReportError(result.status());
  std::vector<const inspect::Detection*> shown;
  for (const auto& d : result->detections) {
    if (d.suppressed()) {
      spdlog::info("suppressed {} in {}: {}", d.finding.rule->id, report::WhereText(d),
                   d.finding.suppressed_by);
      continue;
    }
    shown.push_back(&d);
  }
  if (repo && cfg->store && !args->Has("no-store") && !result->detections.empty()) {
    RecordContext ctx;
    ctx.actor = OsUser();
    RecordResult recorded = RecordDetections(*repo, *cfg, result->detections, ctx);
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
  }
  std::cout << (format == "json" ? report::ScanJson(shown) : report::ScanText(shown));
  return shown.empty() ? kExitOk : kExitFound;
}

}  // namespace sg::cli
