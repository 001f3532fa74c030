// secretgate rules check|list|compile|import-gitleaks (help: cli/command_table.cc).
#include <chrono>
#include <iomanip>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "log/log.h"
#include "rules/gitleaks.h"
#include "rules/loader.h"
#include "scan/engine.h"

namespace sg::cli {

int RunRules(const Args& args) {
  std::string sub = args.positional()[0];
  if (sub == "compile") {
    log::SetupStderr("warn");
    auto cfg = LoadConfig(nullptr);
    if (!cfg.ok()) return ReportError(cfg.status());
    auto engine = BuildEngine(*cfg, "/tmp");
    if (!engine.ok()) return ReportError(engine.status());
    std::cout << ((*engine)->cache_hit() ? "already compiled: " : "compiled: ")
              << (*engine)->rules().rules.size() << " rules, cache in "
              << (*engine)->options().cache_dir << "\n";
    return kExitOk;
  }
  if (sub == "import-gitleaks") {
    log::SetupStderr("warn");
    rules::LoadResult loaded;
    rules::GitleaksReport report = rules::ImportGitleaks(args.positional()[1], loaded);
    for (const auto& e : loaded.errors) std::cout << "error: " << e.ToString() << "\n";
    for (const auto& r : loaded.set.rules) std::cout << "translated: " << r.id << "\n";
    for (const auto& u : report.untranslated) std::cout << "not translated: " << u << "\n";
    for (const auto& n : report.notes) std::cout << "note: " << n << "\n";
    std::cout << report.translated << " rule(s) translated, " << report.untranslated.size()
              << " not translated\n";
    return loaded.ok() ? kExitOk : kExitFound;
  }
  log::SetupStderr("warn");
  std::vector<std::string> paths(args.positional().begin() + 1, args.positional().end());
  if (paths.empty()) {
    auto cfg = LoadConfig(nullptr);
    if (!cfg.ok()) return ReportError(cfg.status());
    paths = RuleSources(*cfg);
  }
  rules::LoadResult loaded = rules::LoadRules(paths);
  for (const auto& g : args.GetAll("gitleaks")) {
    rules::GitleaksReport report = rules::ImportGitleaks(g, loaded);
    for (const auto& u : report.untranslated) std::cout << g << ": not translated: " << u << "\n";
  }
  for (const auto& e : loaded.errors) std::cout << e.ToString() << "\n";
  size_t nrules = loaded.set.rules.size();
  if (sub == "list") {
    for (const auto& r : loaded.set.rules) {
      std::cout << r.id << "\t" << rules::ConfidenceName(r.confidence) << "\t" << r.provider << "\t"
                << r.name << "\n";
    }
    return loaded.ok() ? kExitOk : kExitFound;
  }
  scan::EngineOptions options;  // no cache: check compiles from scratch
  const auto t0 = std::chrono::steady_clock::now();
  auto engine = scan::Engine::Build(std::move(loaded.set), options);
  if (!engine.ok()) {
    std::cout << engine.status().message() << "\n";
    return kExitFound;
  }
  const double compile_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  scan::AnchorReport anchors = scan::CheckAnchors(**engine);
  for (const auto& n : anchors.notes) std::cout << n << "\n";
  for (const auto& w : anchors.warnings) std::cout << w << "\n";
  std::vector<std::string> problems = scan::CheckExamples(*engine);
  for (const auto& p : problems) std::cout << p << "\n";
  size_t nproblems = loaded.errors.size() + problems.size();
  size_t examples = 0;
  for (const auto& r : (*engine)->rules().rules)
    examples += r.examples.size() + r.negative_examples.size();
  std::cout << (nproblems == 0 ? "ok: " : "FAILED: ") << nrules << " rules, " << examples
            << " examples checked, " << nproblems << " problem" << (nproblems == 1 ? "" : "s")
            << "; compiled in " << std::fixed << std::setprecision(2) << compile_s << " s ("
            << (*engine)->groups().size() << " second-pass database"
            << ((*engine)->groups().size() == 1 ? "" : "s") << ")\n";
  return nproblems == 0 ? kExitOk : kExitFound;
}

}  // namespace sg::cli
