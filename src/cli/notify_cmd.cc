// secretgate notify: delivers alert events to webhooks and commands, and new secrets to the
// partner endpoints of their providers. Run in the background by the post-receive hook, and
// safe from cron or a systemd timer (README.md, "Notifications").
#include <spdlog/spdlog.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/notify_support.h"
#include "cli/record.h"
#include "log/log.h"
#include "notify/notifier.h"
#include "notify/partner_key.h"
#include "store/layout.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::cli {
namespace {

struct Target {
  std::string store_dir;
  std::string partner_key;
};

std::string KeyPath(const notify::NotifyConfig& ncfg, const std::string& store_root) {
  if (!ncfg.partner_key.empty()) return ncfg.partner_key;
  return store_root + "/" + std::string(notify::kPartnerKeyFile);
}

// The stores the arguments name, each with its partner key path.
Result<std::vector<Target>> Targets(const Args& args, const notify::NotifyConfig& ncfg,
                                    config::Config* cfg_out, std::string* git_dir_out) {
  std::vector<Target> out;
  auto root = args.Get("root");
  if (root.has_value() + args.Has("repo") + args.Has("store") > 1) {
    return Status::Invalid("give one of --repo, --root and --store");
  }
  if (auto dir = args.Get("store")) {
    // One store directory, as the post-receive hook names it: no repository to open, so the
    // background run starts without libgit2; settings come from the config file alone.
    auto cfg = LoadConfig(nullptr);
    if (!cfg.ok()) return cfg.status();
    *cfg_out = *cfg;
    auto opts = store::OptionsForStoreDir(*dir);
    if (!opts.ok()) return opts.status();
    out.push_back({*dir, KeyPath(ncfg, opts->dir)});
    return out;
  }
  if (!root) {
    auto repo = DiscoverRepository(args.Get("repo").value_or(""));
    if (repo.ok()) {
      auto cfg = LoadConfig(&*repo);
      if (!cfg.ok()) return cfg.status();
      *cfg_out = *cfg;
      *git_dir_out = repo->git_dir();
      auto t = NotifyTargetFor(repo->git_dir(), *cfg, ncfg);
      if (!t.ok()) return t.status();
      out.push_back({t->store_dir, t->partner_key});
      return out;
    }
    auto cfg = LoadConfig(nullptr);
    if (args.Has("repo") || !cfg.ok() || cfg->store_root.empty()) return repo.status();
    *cfg_out = *cfg;
    root = cfg->store_root;
  } else {
    auto cfg = LoadConfig(nullptr);
    if (!cfg.ok()) return cfg.status();
    *cfg_out = *cfg;
  }
  auto dirs = store::FindStores(*root);
  if (!dirs.ok()) return dirs.status();
  for (const auto& d : *dirs) {
    auto opts = store::OptionsForStoreDir(d);
    if (!opts.ok()) return opts.status();
    out.push_back({d, KeyPath(ncfg, opts->dir)});
  }
  return out;
}

int PrintStatus(const std::vector<Target>& targets, const notify::NotifyConfig& ncfg,
                const std::string& format) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  std::string text;
  bool failing = false;
  for (const auto& t : targets) {
    auto st = notify::StatusOf(ncfg, t.store_dir);
    if (!st.ok()) return ReportError(st.status());
    nlohmann::ordered_json j;
    j["store"] = st->store_dir;
    j["repository"] = st->repository;
    j["last_seq"] = st->last_seq;
    j["problem"] =
        st->problem.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(st->problem);
    j["sinks"] = nlohmann::ordered_json::array();
    text += EscapeControl(st->repository.empty() ? st->store_dir : st->repository) + " (" +
            EscapeControl(st->store_dir) + "), journal at seq " + std::to_string(st->last_seq) +
            "\n";
    if (!st->problem.empty()) text += "  DAMAGED: " + EscapeControl(st->problem) + "\n";
    if (st->sinks.empty()) text += "  no sinks configured\n";
    for (const auto& s : st->sinks) {
      failing = failing || s.attempts > 0;
      j["sinks"].push_back({{"name", s.name},
                            {"kind", s.kind},
                            {"target", s.target},
                            {"cursor", s.cursor},
                            {"pending", s.pending},
                            {"attempts", s.attempts},
                            {"next_attempt", s.next_attempt},
                            {"first_failure", s.first_failure},
                            {"last_error", s.last_error}});
      text += "  " + s.kind + " " + s.name + " -> " + EscapeControl(s.target) + ": " +
              std::to_string(s.pending) + (s.kind == "partner" ? " token(s)" : " event(s)") +
              " pending";
      if (s.kind != "partner") {
        text +=
            s.cursor < 0 ? ", not started" : ", delivered up to seq " + std::to_string(s.cursor);
      }
      if (s.attempts > 0) {
        text += "\n    FAILING: " + std::to_string(s.attempts) + " attempt(s) since " +
                s.first_failure + ", next at " + s.next_attempt + ": " +
                EscapeControl(s.last_error);
      }
      text += "\n";
    }
    all.push_back(std::move(j));
  }
  std::cout << (format == "json" ? store::DumpJson(all) + "\n" : text);
  return failing ? kExitFound : kExitOk;
}

// Whether a git config file the repository reads could move its store (secretgate.storeRoot)
// or pulls in other files: then only libgit2 can tell where the store is. A plain scan of the
// files libgit2 reads (repository, global, XDG, system), so the common case needs no libgit2.
bool GitConfigMayMoveStore(const std::string& git_dir) {
  std::vector<std::string> files = {git_dir + "/config", "/etc/gitconfig"};
  const char* home = std::getenv("HOME");
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (home && *home) files.push_back(std::string(home) + "/.gitconfig");
  if (xdg && *xdg) {
    files.push_back(std::string(xdg) + "/git/config");
  } else if (home && *home) {
    files.push_back(std::string(home) + "/.config/git/config");
  }
  for (const auto& f : files) {
    auto text = ReadFile(f);
    if (!text.ok()) continue;
    const std::string lower = ToLowerAscii(*text);
    if (lower.find("storeroot") != std::string::npos ||
        lower.find("[include") != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<NotifyTarget> NotifyTargetFor(const std::string& git_dir, const config::Config& cfg,
                                     const notify::NotifyConfig& ncfg) {
  auto paths = store::ResolvePaths(StoreOptionsAt(git_dir, cfg));
  if (!paths.ok()) return paths.status();
  return NotifyTarget{paths->dir, KeyPath(ncfg, paths->root)};
}

std::optional<DueNotify> NotifyDueAfterPush(const std::string& git_dir, const config::Config* cfg) {
  auto ncfg = notify::LoadConfig(config::ConfigPath(), std::getenv("SECRETGATE_CONFIG") != nullptr);
  if (!ncfg.ok() || !ncfg->after_push || ncfg->empty()) {
    if (!ncfg.ok()) spdlog::error("notifications not started: {}", ncfg.status().message());
    return std::nullopt;
  }
  Result<config::Config> loaded = Status::NotFound("not loaded");
  if (cfg) {
    loaded = *cfg;
  } else if (GitConfigMayMoveStore(git_dir)) {
    auto repo = git::Repository::Open(git_dir);
    if (!repo.ok()) return std::nullopt;
    loaded = LoadConfig(&*repo);
  } else {
    loaded = LoadConfig(nullptr);
  }
  if (!loaded.ok()) return std::nullopt;
  const std::string log_file =
      loaded->log_file.empty() ? git_dir + "/secretgate/secretgate.log" : loaded->log_file;
  // stderr reaches the pusher: anything worth logging goes to the log file.
  if (!cfg) {
    log::Setup(log_file, loaded->log_level, false, {}, 0600, LogOutput(*loaded));
  }
  auto target = NotifyTargetFor(git_dir, *loaded, *ncfg);
  if (!target.ok() || !notify::HasDue(*ncfg, target->store_dir)) return std::nullopt;
  return DueNotify{target->store_dir, log_file};
}

int RunNotify(const Args& args) {
  const std::string format = args.Get("format").value_or("text");
  if (format != "text" && format != "json") {
    return ReportError(Status::Invalid("--format must be text or json, not '" + format + "'"));
  }
  auto ncfg = notify::LoadConfig(config::ConfigPath(), std::getenv("SECRETGATE_CONFIG") != nullptr);
  if (!ncfg.ok()) return ReportError(ncfg.status());
  config::Config cfg;
  std::string git_dir;
  auto targets = Targets(args, *ncfg, &cfg, &git_dir);
  if (!targets.ok()) return ReportError(targets.status());
  const unsigned log_mode = 0600;
  if (auto log_file = args.Get("log")) {
    log::Setup(*log_file, cfg.log_level, false, {}, log_mode, LogOutput(cfg));
  } else if (!cfg.log_file.empty()) {
    log::Setup(cfg.log_file, cfg.log_level, false, {}, log_mode, LogOutput(cfg));
  } else if (!git_dir.empty()) {
    log::Setup(git_dir + "/secretgate/secretgate.log", cfg.log_level, false, {}, log_mode,
               LogOutput(cfg));
  } else {
    log::SetupStderr("warn", LogOutput(cfg));
  }
  if (args.Has("status")) return PrintStatus(*targets, *ncfg, format);

  const bool quiet = args.Has("quiet");
  if (ncfg->empty()) {
    if (!quiet)
      std::cout << "no webhooks, commands or partner endpoints configured in " << ncfg->source
                << "\n";
    return kExitOk;
  }
  auto sinks = notify::MakeSinks(*ncfg);
  int failed = 0;
  bool error = false;
  for (const auto& t : *targets) {
    ApplyPendingForStoreDir(t.store_dir, cfg);  // what pushes could not record is due too
    notify::RunOptions options;
    options.retry_now = args.Has("retry-now");
    options.partner_key_path = t.partner_key;
    auto outcome = notify::NotifyStore(*ncfg, t.store_dir, sinks, options);
    // A run started by a later push finds the sinks busy while this one delivers and leaves
    // them to it: look again for what was appended meanwhile (bounded: a busy server is
    // finished by the next run).
    for (int pass = 1; pass < 5 && outcome.ok() && outcome->failed() == 0 &&
                       outcome->delivered() > 0 && notify::HasDue(*ncfg, t.store_dir);
         ++pass) {
      auto more = notify::NotifyStore(*ncfg, t.store_dir, sinks, options);
      if (!more.ok()) {
        outcome = more;
        break;
      }
      for (size_t i = 0; i < more->sinks.size(); ++i) {
        if (i < outcome->sinks.size() && outcome->sinks[i].name == more->sinks[i].name) {
          outcome->sinks[i].delivered += more->sinks[i].delivered;
          outcome->sinks[i].failed += more->sinks[i].failed;
          if (!more->sinks[i].error.empty()) outcome->sinks[i].error = more->sinks[i].error;
        } else {
          outcome->sinks.push_back(more->sinks[i]);
        }
      }
      outcome->problem = more->problem;
    }
    if (!outcome.ok()) {
      spdlog::error("notify {}: {}", t.store_dir, outcome.status().message());
      std::cerr << "secretgate: error: " << t.store_dir << ": " << outcome.status().message()
                << "\n";
      error = true;
      continue;
    }
    failed += outcome->failed();
    if (!outcome->problem.empty()) error = true;
    if (quiet) continue;
    std::string name = outcome->repository.empty() ? t.store_dir : outcome->repository;
    std::cout << EscapeControl(name) << ": " << outcome->delivered() << " delivered, "
              << outcome->failed() << " failed\n";
    for (const auto& s : outcome->sinks) {
      if (s.busy) std::cout << "  " << s.name << ": busy (another notify is delivering it)\n";
      if (s.backing_off)
        std::cout << "  " << s.name << ": waiting for its next attempt (see --status)\n";
      if (!s.error.empty()) std::cout << "  " << s.name << ": " << EscapeControl(s.error) << "\n";
    }
    if (!outcome->problem.empty()) {
      std::cout << "  journal damaged, stopped at " << EscapeControl(outcome->problem) << "\n";
    }
  }
  if (error) return kExitError;
  return failed ? kExitFound : kExitOk;
}

}  // namespace sg::cli
