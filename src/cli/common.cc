#include "cli/common.h"

#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <iterator>

#include "rules/gitleaks.h"
#include "rules/loader.h"
#include "rules/rule_cache.h"
#include "util/fs.h"

namespace sg::cli {

Result<config::Config> LoadConfigFile() {
  return config::LoadFile(config::ConfigPath(), std::getenv("SECRETGATE_CONFIG") != nullptr);
}

Result<config::Config> LoadConfig(const git::Repository* repo) {
  return LoadConfig(repo, LoadConfigFile());
}

Result<config::Config> LoadConfig(const git::Repository* repo, Result<config::Config> cfg) {
  if (!cfg.ok()) return cfg.status();
  if (repo) {
    Status s = config::ApplyGitConfig(*cfg, [repo](const std::string& key) {
      return repo->ConfigMultivar(key);
    });
    if (!s.ok()) return s.WithContext(repo->git_dir());
  }
  return cfg;
}

std::vector<std::string> RuleSources(const config::Config& cfg) {
  std::vector<std::string> out = cfg.rules;
  if (!cfg.rules_set) out.push_back(config::DefaultRulesDir());  // `rules = []`: none
  out.insert(out.end(), cfg.extra_rules.begin(), cfg.extra_rules.end());
  return out;
}

// Builds an engine from the rules cache and the Hyperscan database it names on a second thread,
// while the caller's thread checks that the rule files are those the cache was written for (a
// stat of every file: ~1,000 in the shipped pack, about as long as decoding the rules and
// mapping the database). Null when the check fails or nothing is cached: the caller then loads
// the rules in full. Every push and scan starts with this, so the two halves overlap.
std::shared_ptr<const scan::Engine> BuildCachedEngine(const std::vector<std::string>& sources,
                                                      const scan::EngineOptions& options) {
  scan::EngineOptions cached = options;
  cached.cached_only = true;
  struct Speculated {
    std::string key;  // of the files the cache was written for
    std::shared_ptr<const scan::Engine> engine;
  };
  auto speculative = std::async(std::launch::async, [&]() -> Speculated {
    // Quiet: a damaged cache is reported by the full load that follows.
    auto rules = rules::ReadRulesCache(sources, options.cache_dir, false);
    if (!rules) return {};
    auto engine = scan::Engine::Build(std::move(rules->set), cached);
    if (!engine.ok()) return {};
    return {std::move(rules->key), std::move(*engine)};
  });
  const std::string key = rules::RulesCacheKey(sources);
  Speculated got = speculative.get();
  if (!got.engine || key.empty() || got.key != key) return nullptr;
  if (got.engine->rules().rules.empty()) spdlog::warn("no rules configured: nothing will be found");
  return got.engine;
}

Result<std::shared_ptr<const scan::Engine>> BuildEngine(const config::Config& cfg,
                                                        const std::string& cache_fallback) {
  std::vector<std::string> sources = RuleSources(cfg);
  for (const auto& s : sources) {
    if (!PathExists(s)) {
      return Status::Invalid("rules not found: " + s +
                             " (set `rules` in " + config::ConfigPath() + ")");
    }
  }
  scan::EngineOptions options;
  options.cache_dir = cfg.cache_dir.empty() ? config::DefaultCacheDir(cache_fallback) : cfg.cache_dir;
  // The server-wide cache that `secretgate rules compile` (run by install.sh as root) warms is
  // readable by hooks running as any user, even when they cannot write to it.
  if (cfg.cache_dir.empty() && options.cache_dir != config::kSystemCacheDir) {
    options.read_only_cache_dirs.push_back(config::kSystemCacheDir);
  }
  // gitleaks configs change the rule set after it loads: those take the full path.
  if (cfg.gitleaks_configs.empty()) {
    if (auto engine = BuildCachedEngine(sources, options)) return engine;
  }
  const auto t0 = std::chrono::steady_clock::now();
  rules::LoadResult loaded = rules::LoadRulesCached(sources, options.cache_dir);
  spdlog::debug("rules: {} loaded in {:.1f} ms ({})", loaded.set.rules.size(),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
                loaded.from_cache ? "rules cache" : "parsed the TOML");
  rules::GitleaksOptions gitleaks;
  gitleaks.placeholder_filter = cfg.gitleaks_placeholder_filter;
  for (const auto& g : cfg.gitleaks_configs) {
    rules::GitleaksReport report = rules::ImportGitleaks(g, loaded, gitleaks);
    for (const auto& u : report.untranslated) spdlog::warn("gitleaks config {}: not used: {}", g, u);
    for (const auto& n : report.notes) spdlog::info("gitleaks config: {}", n);
  }
  if (!loaded.ok()) return rules::ErrorsToStatus(loaded.errors);
  if (loaded.set.rules.empty()) spdlog::warn("no rules configured: nothing will be found");
  return scan::Engine::Build(std::move(loaded.set), options);
}

void KeepUntilExit(std::shared_ptr<const scan::Engine> engine) {
  static auto* kept = new std::vector<std::shared_ptr<const scan::Engine>>();
  kept->push_back(std::move(engine));
}

log::Output LogOutput(const config::Config& cfg) {
  log::Output out;
  out.format = cfg.log_format == "json" ? log::Format::kJson : log::Format::kText;
  out.syslog = cfg.log_syslog;
  return out;
}

std::string ReadStdin() {
  std::string data;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) data.append(buf, n);
  return data;
}

std::string OsUser() {
  if (struct passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
  const char* u = std::getenv("USER");
  return u ? u : "uid:" + std::to_string(::geteuid());
}

int ReportError(const Status& status) {
  std::cerr << "secretgate: error: " << status.message() << "\n";
  return kExitError;
}

Result<git::Repository> DiscoverRepository(const std::string& explicit_path) {
  git::InitLibgit2();
  if (!explicit_path.empty()) return git::Repository::Open(explicit_path);
  if (const char* d = std::getenv("GIT_DIR"); d && *d) return git::Repository::Open(d);
  git_buf buf = GIT_BUF_INIT;
  int rc = git_repository_discover(&buf, ".", 0, nullptr);
  if (rc != 0) {
    return Status::NotFound("not inside a git repository (use --repo GITDIR)");
  }
  std::string found(buf.ptr, buf.size);
  git_buf_dispose(&buf);
  return git::Repository::Open(found);
}

}  // namespace sg::cli
