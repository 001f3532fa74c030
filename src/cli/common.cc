#include "cli/common.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include <spdlog/spdlog.h>

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
  // The server-wide cache that `secretgate rules compile` (run by install.sh as root) warms is
  // readable by hooks running as any user, even when they cannot write to it.
  if (cfg.cache_dir.empty() && options.cache_dir != config::kSystemCacheDir) {
    options.read_only_cache_dirs.push_back(config::kSystemCacheDir);
  }
  return scan::Engine::Build(std::move(loaded.set), options);
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
