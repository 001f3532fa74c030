// secretgate drain: scans what pushes left unscanned at their deadline (the scan-debt queue),
// and secretgate post-receive: the post-receive hook, which starts a drain in the background.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <spdlog/spdlog.h>

#include "cli/args.h"
#include "cli/chain.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/record.h"
#include "inspect/push.h"
#include "log/log.h"
#include "queue/scan_debt.h"
#include "util/fs.h"

extern char** environ;

namespace sg::cli {
namespace {

constexpr char kDrainHelp[] =
    "usage: secretgate drain [--repo GITDIR] [--quiet]\n"
    "  Scans every entry of the repository's scan-debt queue (objects a push could not scan\n"
    "  before its deadline), records the findings as alerts, and removes the entry. Safe to\n"
    "  run from cron and concurrently: drains take turns on a lock.\n"
    "  Exit 0 when the queue is empty afterwards, 2 on error.\n";

// Drains the queue of `repo`; returns the number of entries drained.
Result<size_t> Drain(const git::Repository& repo, const config::Config& cfg) {
  const std::string dir = repo.git_dir() + "/secretgate/debt";
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
      if (git::Oid::FromHex(id, &oid) && repo.ReadHeader(oid, &size, &type).ok()) present.push_back(id);
    }
    auto result = inspect::ScanObjects(repo, *updates, present, scanner, options);
    if (!result.ok()) return result.status().WithContext("scan-debt entry " + debt.id);
    if (cfg.store && !result->detections.empty()) {
      RecordContext ctx;
      ctx.actor = "secretgate-drain";
      ctx.pushed_by = debt.pushed_by;
      auto recorded = RecordDetections(repo, cfg, result->detections, ctx);
      if (!recorded.ok()) return recorded.status().WithContext("scan-debt entry " + debt.id);
    }
    spdlog::info("drained {}: {} objects scanned, {} findings", debt.id, present.size(),
                 result->detections.size());
    SG_RETURN_IF_ERROR(queue::Remove(dir, debt.id));
    ++drained;
  }
  return drained;
}

// Starts `secretgate drain --repo DIR --quiet` detached from the pusher's connection.
void SpawnBackgroundDrain(const std::string& git_dir) {
  std::string self = SelfExecutablePath();
  if (self.empty()) return;
  pid_t pid = ::fork();
  if (pid != 0) {
    if (pid > 0) ::waitpid(pid, nullptr, 0);
    return;
  }
  // Child: new session, then a grandchild that git does not wait for.
  ::setsid();
  if (::fork() != 0) ::_exit(0);
  int devnull = ::open("/dev/null", O_RDWR);
  ::dup2(devnull, 0);
  ::dup2(devnull, 1);
  ::dup2(devnull, 2);
  std::string repo_flag = "--repo=" + git_dir;
  char* argv[] = {self.data(), const_cast<char*>("drain"), repo_flag.data(),
                  const_cast<char*>("--quiet"), nullptr};
  ::execve(self.c_str(), argv, environ);
  ::_exit(127);
}

}  // namespace

int RunDrain(const Argv& argv) {
  auto args = Args::Parse(argv, {"repo"}, {"help", "quiet"});
  if (!args.ok()) return ReportError(args.status());
  if (args->Has("help")) {
    std::cout << kDrainHelp;
    return kExitOk;
  }
  auto repo = DiscoverRepository(args->Get("repo").value_or(""));
  if (!repo.ok()) return ReportError(repo.status());
  auto cfg = LoadConfig(&*repo);
  if (!cfg.ok()) return ReportError(cfg.status());
  log::Setup(cfg->log_file.empty() ? repo->git_dir() + "/secretgate/secretgate.log" : cfg->log_file,
             cfg->log_level, false);
  auto drained = Drain(*repo, *cfg);
  if (!drained.ok()) {
    spdlog::error("drain failed: {}", drained.status().message());
    return ReportError(drained.status());
  }
  if (!args->Has("quiet")) std::cout << "drained " << *drained << " scan-debt entr" << (*drained == 1 ? "y" : "ies") << "\n";
  return kExitOk;
}

int RunPostReceive(const Argv& argv) {
  auto args = Args::Parse(argv, {"hook-dir"}, {"help"});
  if (!args.ok()) return ReportError(args.status());
  if (args->Has("help")) {
    std::cout << "usage: secretgate post-receive [--hook-dir DIR] < ref-updates\n"
                 "  Run by git after a push is accepted: starts `secretgate drain` in the\n"
                 "  background when the push left objects unscanned, then runs chained hooks.\n";
    return kExitOk;
  }
  std::string input = ReadStdin();
  const char* gd = std::getenv("GIT_DIR");
  std::string git_dir = gd && *gd ? gd : ".";
  auto repo = git::Repository::Open(git_dir);
  if (repo.ok()) {
    git_dir = repo->git_dir();
    auto entries = queue::List(git_dir + "/secretgate/debt");
    if (entries.ok() && !entries->empty()) SpawnBackgroundDrain(git_dir);
  }
  return RunChainedHooks("post-receive", args->Get("hook-dir").value_or(""), git_dir, input);
}

}  // namespace sg::cli
