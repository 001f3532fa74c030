// secretgate drain: scans what pushes left unscanned at their deadline (the scan-debt queue),
// and secretgate post-receive: the post-receive hook, which starts a drain in the background.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli/args.h"
#include "cli/chain.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/notify_support.h"
#include "cli/push_log.h"
#include "cli/record.h"
#include "inspect/push.h"
#include "log/log.h"
#include "notify/config.h"
#include "policy/policy.h"
#include "queue/scan_debt.h"
#include "util/fs.h"
#include "util/text.h"

extern char** environ;

namespace sg::cli {
namespace {

// Drains the queue of `repo`; returns the number of entries drained.
Result<size_t> Drain(const git::Repository& repo, const config::Config& cfg) {
  const std::string dir = queue::QueueDir(repo.git_dir());
  if (!IsDirectory(dir)) return size_t{0};
  auto lock = queue::DrainLock::Acquire(dir);
  if (!lock.ok()) return lock.status();
  auto entries = queue::List(dir);
  if (!entries.ok()) return entries.status();
  if (entries->empty()) return size_t{0};
  auto engine = BuildEngine(cfg, repo.git_dir() + "/secretgate/cache");
  if (!engine.ok()) return engine.status();
  scan::Scanner scanner(*engine);
  inspect::ScanOptions options;
  options.max_blob_size = cfg.max_blob_size;
  options.exclude_paths = cfg.exclude_paths;
  options.refs_updated = true;
  size_t drained = 0;
  for (const auto& debt : *entries) {
    std::string text;
    for (const auto& u : debt.updates) text += u + "\n";
    auto updates = git::ParseRefUpdates(text);
    if (!updates.ok()) return updates.status().WithContext("scan-debt entry " + debt.id);
    // Objects of a push that was finally refused never reached the repository: skip them.
    std::vector<std::string> present;
    for (const auto& id : debt.objects) {
      git::Oid oid;
      size_t size;
      git_object_t type;
      if (git::Oid::FromHex(id, &oid) && repo.ReadHeader(oid, &size, &type).ok())
        present.push_back(id);
    }
    auto result = inspect::ScanObjects(repo, *updates, present, scanner, options);
    if (!result.ok()) return result.status().WithContext("scan-debt entry " + debt.id);
    RecordResult recorded;
    recorded.outcomes.resize(result->detections.size());
    if (cfg.store && !result->detections.empty()) {
      RecordContext ctx;
      ctx.actor = "secretgate-drain";
      ctx.pushed_by = debt.pushed_by;
      recorded = RecordDetections(repo, cfg, result->detections, ctx);
      // Spooled findings are safe: the entry is done. Unsaved ones keep it for the next drain.
      if (!recorded.status.ok() && !recorded.spooled) {
        return recorded.spool_status.WithContext("scan-debt entry " + debt.id +
                                                 ": recording failed (" +
                                                 recorded.status.message() + ") and spooling");
      }
    }
    // The findings join the events of the push that left them unscanned.
    const PushLog push(debt.push_id);
    for (size_t i = 0; i < result->detections.size(); ++i) {
      const auto& d = result->detections[i];
      if (d.suppressed()) {
        push.Suppressed(d);
        continue;
      }
      push.Finding(d, config::ModeName(policy::EffectiveMode(cfg, *d.finding.rule)), recorded, i,
                   cfg.store);
    }
    log::Event(log::kInfo, "drained")
        .Add("push_id", debt.push_id)
        .Add("repository", repo.git_dir())
        .Add("debt", debt.id)
        .Add("pusher", debt.pushed_by)
        .Add("objects", present.size())
        .Add("findings", result->detections.size())
        .Emit();
    SG_RETURN_IF_ERROR(queue::Remove(dir, debt.id));
    ++drained;
  }
  return drained;
}

// Starts `secretgate <args>` detached from the pusher's connection: a new session, stdin,
// stdout and stderr on /dev/null, no other descriptor inherited (nothing of git's may outlive
// the hook), not waited for. posix_spawn (vfork-like) rather than fork: the hook's whole cost
// is a millisecond. With `scrub_git_env`, the child gets no GIT_* variables (push options,
// quarantine paths) and runs at idle CPU priority (SCHED_IDLE), so that it never competes with
// pushes, including the one it follows.
void SpawnBackground(std::vector<std::string> args, bool scrub_git_env) {
  std::string self = SelfExecutablePath();
  if (self.empty()) return;
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) {
    if (!scrub_git_env || std::string_view(*e).rfind("GIT_", 0) != 0) env.push_back(*e);
  }
  env.push_back(nullptr);
  std::vector<char*> argv{self.data()};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&fa, 0, 1);
  posix_spawn_file_actions_adddup2(&fa, 0, 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  short flags = POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK;
  if (scrub_git_env) {
    sched_param idle{};
    posix_spawnattr_setschedpolicy(&attr, SCHED_IDLE);
    posix_spawnattr_setschedparam(&attr, &idle);
    flags |= POSIX_SPAWN_SETSCHEDULER;
  }
  posix_spawnattr_setflags(&attr, flags);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, self.c_str(), &fa, &attr, argv.data(), env.data());
  if (rc == EPERM && scrub_git_env) {  // a policy that forbids SCHED_IDLE: run it as it is
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
    rc = ::posix_spawn(&pid, self.c_str(), &fa, &attr, argv.data(), env.data());
  }
  if (rc != 0) {
    spdlog::warn("cannot start `secretgate {}` in the background: {}", args.empty() ? "" : args[0],
                 std::strerror(rc));
  }
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
}

void SpawnBackgroundDrain(const std::string& git_dir) {
  SpawnBackground({"drain", "--repo=" + git_dir, "--quiet"}, false);
}

// `secretgate notify` in the background, when notifications are configured and due. The hook
// itself never contacts a sink.
void SpawnBackgroundNotifyIfDue(const std::string& git_dir, const config::Config* cfg) {
  auto due = NotifyDueAfterPush(git_dir, cfg);
  if (!due) return;
  SpawnBackground({"notify", "--store=" + due->store_dir, "--log=" + due->log_file, "--quiet"},
                  true);
}

// Drains every queued repository under `root`. A repository that fails is reported and the
// others are still drained; the result is an error if any failed. Unlike a one-repository
// drain it starts no background notify: a systemd oneshot would kill it on exit, and the notify
// timer (or cron line) that goes with a --root drain delivers the new alerts.
int DrainRoot(const std::string& root, bool quiet) {
  auto file_cfg = LoadConfigFile();
  if (!file_cfg.ok()) return ReportError(file_cfg.status());
  if (file_cfg->log_file.empty()) {
    log::SetupStderr(file_cfg->log_level, LogOutput(*file_cfg));
  } else {
    log::Setup(file_cfg->log_file, file_cfg->log_level, true, {}, 0600, LogOutput(*file_cfg));
  }
  auto git_dirs = queue::FindQueued(root);
  if (!git_dirs.ok()) return ReportError(git_dirs.status());
  git::InitLibgit2();
  size_t total = 0;
  bool failed = false;
  for (const auto& git_dir : *git_dirs) {
    auto drained = [&]() -> Result<size_t> {
      auto repo = git::Repository::Open(git_dir);
      if (!repo.ok()) return repo.status();
      auto cfg = LoadConfig(&*repo, *file_cfg);
      if (!cfg.ok()) return cfg.status();
      return Drain(*repo, *cfg);
    }();
    if (!drained.ok()) {
      log::Event(log::kError, "drain_failed")
          .Add("repository", git_dir)
          .Add("error", drained.status().message())
          .Emit();
      std::cerr << "secretgate: error: " << EscapeControl(git_dir) << ": "
                << EscapeControl(drained.status().message()) << "\n";
      failed = true;
      continue;
    }
    total += *drained;
  }
  if (!quiet) {
    std::cout << "drained " << total << " scan-debt entr" << (total == 1 ? "y" : "ies") << " in "
              << git_dirs->size() << " repositor" << (git_dirs->size() == 1 ? "y" : "ies") << "\n";
  }
  return failed ? kExitError : kExitOk;
}

}  // namespace

int RunDrain(const Args& args) {
  if (args.Has("root") && args.Has("repo")) {
    return ReportError(Status::Invalid("give --repo or --root, not both"));
  }
  if (auto root = args.Get("root")) return DrainRoot(*root, args.Has("quiet"));
  auto repo = DiscoverRepository(args.Get("repo").value_or(""));
  if (!repo.ok()) return ReportError(repo.status());
  auto cfg = LoadConfig(&*repo);
  if (!cfg.ok()) return ReportError(cfg.status());
  log::Setup(cfg->log_file.empty() ? repo->git_dir() + "/secretgate/secretgate.log" : cfg->log_file,
             cfg->log_level, false, {}, 0600, LogOutput(*cfg));
  auto drained = Drain(*repo, *cfg);
  if (!drained.ok()) {
    log::Event(log::kError, "drain_failed")
        .Add("repository", repo->git_dir())
        .Add("error", drained.status().message())
        .Emit();
    return ReportError(drained.status());
  }
  if (*drained > 0) SpawnBackgroundNotifyIfDue(repo->git_dir(), &*cfg);
  if (!args.Has("quiet"))
    std::cout << "drained " << *drained << " scan-debt entr" << (*drained == 1 ? "y" : "ies")
              << "\n";
  return kExitOk;
}

int RunPostReceive(const Args& args) {
  std::string input = ReadStdin();
  // The common case (nothing queued, no notifications configured) must cost next to nothing:
  // no libgit2 (its start-up alone parses a CA bundle), no git config; plain files only.
  const char* gd = std::getenv("GIT_DIR");
  std::string git_dir = gd && *gd ? gd : ".";
  if (char* real = ::realpath(git_dir.c_str(), nullptr)) {
    git_dir = real;
    std::free(real);
  }
  if (queue::HasEntries(queue::QueueDir(git_dir))) SpawnBackgroundDrain(git_dir);
  auto ncfg = notify::LoadConfig(config::ConfigPath(), std::getenv("SECRETGATE_CONFIG") != nullptr);
  // Notifications configured: still no libgit2 unless a git config file could move the store.
  if (ncfg.ok() && ncfg->after_push && !ncfg->empty()) SpawnBackgroundNotifyIfDue(git_dir, nullptr);
  return RunChainedHooks("post-receive", args.Get("hook-dir").value_or(""), git_dir, input);
}

}  // namespace sg::cli
