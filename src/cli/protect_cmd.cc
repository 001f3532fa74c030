// secretgate protect --repo PATH | --hooks-path DIR
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "build_config.h"
#include "cli/args.h"
#include "cli/chain.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "util/fs.h"

extern char** environ;

namespace sg::cli {
namespace {

constexpr char kHelp[] =
    "usage: secretgate protect --repo PATH\n"
    "       secretgate protect --hooks-path DIR\n"
    "  --repo PATH        install the pre-receive and post-receive hooks into one repository\n"
    "                     (bare, or the .git of a work tree) and set receive.advertisePushOptions\n"
    "  --hooks-path DIR   install the hooks into DIR and point every repository on the host at\n"
    "                     it with `git config --system core.hooksPath DIR`\n"
    "  An existing hook is never overwritten: it is renamed NAME.secretgate-chained and runs\n"
    "  after secretgate accepts. With --hooks-path, a repository's own hooks/pre-receive keeps\n"
    "  running too. Running protect again is harmless.\n";

// The shim text with the binary's absolute path filled in.
std::string ShimText(const char* templ, const std::string& binary) {
  std::string text = templ;
  const std::string from = "SECRETGATE_BIN=${SECRETGATE_BIN:-secretgate}";
  size_t at = text.find(from);
  if (at != std::string::npos) {
    std::string quoted = "'";
    for (char c : binary) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    quoted += "'";
    text.replace(at, from.size(), "SECRETGATE_BIN=" + quoted);
  }
  return text;
}

Status InstallHook(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  if (PathExists(path) && !IsSecretgateShim(path)) {
    std::string chained = path + ".secretgate-chained";
    if (PathExists(chained)) {
      return Status::Conflict(path + " exists and so does " + chained +
                              "; move one of them away first (nothing was changed)");
    }
    if (std::rename(path.c_str(), chained.c_str()) != 0) {
      return Status::IOError("cannot move " + path + " to " + chained);
    }
    std::cout << "kept the existing " << name << " hook: it now runs as " << chained << "\n";
  }
  SG_RETURN_IF_ERROR(WriteFileAtomic(path, text, 0755));
  std::cout << "installed " << path << "\n";
  return Status::Ok();
}

Status InstallShims(const std::string& dir) {
  SG_RETURN_IF_ERROR(MakeDirs(dir, 0755));
  std::string binary = SelfExecutablePath();
  if (binary.empty()) return Status::Internal("cannot find the secretgate binary's own path");
  SG_RETURN_IF_ERROR(InstallHook(dir, "pre-receive", ShimText(build::kPreReceiveShim, binary)));
  return InstallHook(dir, "post-receive", ShimText(build::kPostReceiveShim, binary));
}

int RunGit(std::vector<std::string> args) {
  args.insert(args.begin(), "git");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, "git", nullptr, nullptr, argv.data(), environ) != 0) return 127;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

int RunProtect(const Argv& argv) {
  auto args = Args::Parse(argv, {"repo", "hooks-path"}, {"help"});
  if (!args.ok()) return ReportError(args.status());
  if (args->Has("help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args->Has("repo") == args->Has("hooks-path") || !args->positional().empty()) {
    std::cerr << kHelp;
    return kExitError;
  }
  if (auto path = args->Get("repo")) {
    auto repo = git::Repository::Open(*path);
    if (!repo.ok()) return ReportError(repo.status());
    Status s = InstallShims(repo->git_dir() + "/hooks");
    if (!s.ok()) return ReportError(s);
    git_config* raw = nullptr;
    if (git_repository_config(&raw, repo->get()) == 0) {
      git::ConfigPtr cfg(raw);
      git_config_set_bool(cfg.get(), "receive.advertisePushOptions", 1);
    }
    std::cout << "protected " << repo->git_dir() << "\n";
    return kExitOk;
  }
  std::string dir = std::filesystem::absolute(*args->Get("hooks-path")).lexically_normal().string();
  Status s = InstallShims(dir);
  if (!s.ok()) return ReportError(s);
  if (RunGit({"config", "--system", "core.hooksPath", dir}) != 0 ||
      RunGit({"config", "--system", "receive.advertisePushOptions", "true"}) != 0) {
    return ReportError(Status::IOError("`git config --system` failed (are you root?)"));
  }
  std::cout << "every repository on this host now uses " << dir << " (core.hooksPath)\n";
  return kExitOk;
}

}  // namespace sg::cli
