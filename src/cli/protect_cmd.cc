// secretgate protect --repo PATH | --hooks-path DIR, and secretgate unprotect (the same
// options): install the hooks, and undo exactly what protect changed.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
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

constexpr char kManifest[] = ".secretgate-protect.json";
// Server-side hooks that core.hooksPath silences and a shim can hand on exactly (same argv,
// stdin, stdout, exit status). pre-receive and post-receive are secretgate's own and chain in
// the binary. push-to-checkout cannot be chained exactly: the mere presence of the hook replaces
// git's built-in updateInstead, so a shim would change what every other repository does.
constexpr const char* kChainedHooks[] = {"update", "post-update", "reference-transaction",
                                         "proc-receive"};

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

// Runs git with `args`; returns its exit status and, when `out` is given, its stdout.
int RunGit(std::vector<std::string> args, std::string* out = nullptr) {
  args.insert(args.begin(), "git");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (out && ::pipe(fds) == 0) {
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
  }
  pid_t pid;
  const int rc = posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (fds[1] >= 0) ::close(fds[1]);
  if (rc != 0) {
    if (fds[0] >= 0) ::close(fds[0]);
    return 127;
  }
  if (out && fds[0] >= 0) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    while (!out->empty() && out->back() == '\n') out->pop_back();
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

// What protect changed in one place, so that unprotect can undo exactly that.
struct Manifest {
  std::vector<std::string> installed;  // shims written
  std::vector<std::string> chained;    // existing hooks renamed NAME.secretgate-chained
  // git config keys set: key -> previous value (null: it was unset).
  nlohmann::json config = nlohmann::json::object();
  std::string scope;  // "repository" (the repository's config) or "system"
};

Result<Manifest> LoadManifest(const std::string& dir) {
  auto text = ReadFile(dir + "/" + kManifest);
  if (!text.ok()) return text.status();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return Status::Corruption(dir + "/" + kManifest + ": not JSON");
  Manifest m;
  for (const auto& s : j.value("installed", nlohmann::json::array())) m.installed.push_back(s);
  for (const auto& s : j.value("chained", nlohmann::json::array())) m.chained.push_back(s);
  m.config = j.value("config", nlohmann::json::object());
  m.scope = j.value("scope", "");
  return m;
}

Status SaveManifest(const std::string& dir, const Manifest& m) {
  nlohmann::json j = {{"version", 1},
                      {"scope", m.scope},
                      {"installed", m.installed},
                      {"chained", m.chained},
                      {"config", m.config}};
  return WriteFileAtomic(dir + "/" + kManifest, j.dump(2) + "\n", 0644);
}

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// Installs `text` as `dir`/`name`. An existing hook that is not ours is moved aside as
// NAME.secretgate-chained (for pre-receive and post-receive, which chain in the binary) or, with
// `keep_existing`, left alone (false returned: nothing installed).
Result<bool> InstallHook(const std::string& dir, const std::string& name, const std::string& text,
                         bool keep_existing, Manifest& m) {
  std::string path = dir + "/" + name;
  if (PathExists(path) && !IsSecretgateShim(path)) {
    if (keep_existing) return false;
    std::string chained = path + ".secretgate-chained";
    if (PathExists(chained)) {
      return Status::Conflict(path + " exists and so does " + chained +
                              "; move one of them away first (nothing was changed)");
    }
    if (std::rename(path.c_str(), chained.c_str()) != 0) {
      return Status::IOError("cannot move " + path + " to " + chained);
    }
    AddUnique(m.chained, name);
    std::cout << "kept the existing " << name << " hook: it now runs as " << chained << "\n";
  }
  SG_RETURN_IF_ERROR(WriteFileAtomic(path, text, 0755));
  AddUnique(m.installed, name);
  std::cout << "installed " << path << "\n";
  return true;
}

Status InstallShims(const std::string& dir, bool hooks_path, Manifest& m) {
  SG_RETURN_IF_ERROR(MakeDirs(dir, 0755));
  std::string binary = SelfExecutablePath();
  if (binary.empty()) return Status::Internal("cannot find the secretgate binary's own path");
  auto a = InstallHook(dir, "pre-receive", ShimText(build::kPreReceiveShim, binary), false, m);
  if (!a.ok()) return a.status();
  auto b = InstallHook(dir, "post-receive", ShimText(build::kPostReceiveShim, binary), false, m);
  if (!b.ok()) return b.status();
  if (!hooks_path) return Status::Ok();
  for (const char* name : kChainedHooks) {
    auto done = InstallHook(dir, name, build::kChainedHookShim, /*keep_existing=*/true, m);
    if (!done.ok()) return done.status();
    if (!*done) {
      std::cerr << "secretgate: warning: " << dir << "/" << name
                << " exists and is not secretgate's: left as it is, so repositories' own " << name
                << " hooks do not run (git runs only " << dir << "/" << name << ")\n";
    }
  }
  std::cerr << "secretgate: note: repositories' own push-to-checkout hooks do not run under "
               "core.hooksPath and cannot be chained exactly (the hook's presence replaces git's "
               "updateInstead); protect such repositories with --repo instead\n";
  return Status::Ok();
}

// Sets git config `key` to `value` in `scope`, remembering the value it had.
Status SetConfig(const std::string& scope_flag, const std::string& git_dir, const std::string& key,
                 const std::string& value, Manifest& m) {
  std::vector<std::string> base = {"config"};
  if (!git_dir.empty()) base = {"--git-dir=" + git_dir, "config", "--local"};
  if (!scope_flag.empty()) base.push_back(scope_flag);
  std::string previous;
  auto get = base;
  get.insert(get.end(), {"--get", key});
  const int had = RunGit(get, &previous);
  if (!m.config.contains(key))
    m.config[key] = had == 0 ? nlohmann::json(previous) : nlohmann::json();
  auto set = base;
  set.insert(set.end(), {key, value});
  if (RunGit(set) != 0) {
    return Status::IOError("`git config " + scope_flag + " " + key + "` failed" +
                           (scope_flag == "--system" ? " (are you root?)" : ""));
  }
  return Status::Ok();
}

Status RestoreConfig(const std::string& scope_flag, const std::string& git_dir, const Manifest& m) {
  for (const auto& [key, previous] : m.config.items()) {
    std::vector<std::string> args = {"config"};
    if (!git_dir.empty()) args = {"--git-dir=" + git_dir, "config", "--local"};
    if (!scope_flag.empty()) args.push_back(scope_flag);
    if (previous.is_string()) {
      args.insert(args.end(), {key, previous.get<std::string>()});
    } else {
      args.insert(args.end(), {"--unset", key});
    }
    const int rc = RunGit(args);
    // --unset of a key that is already gone exits 5: nothing to undo.
    if (rc != 0 && !(rc == 5 && !previous.is_string())) {
      return Status::IOError("cannot restore git config " + key);
    }
    std::cout << (previous.is_string() ? "restored " : "unset ") << key << "\n";
  }
  return Status::Ok();
}

Status RemoveShims(const std::string& dir, const Manifest& m) {
  std::vector<std::string> names = m.installed;
  // Without a manifest (written by an older secretgate), every shim of ours goes.
  for (const char* n : {"pre-receive", "post-receive", "update", "post-update",
                        "reference-transaction", "proc-receive"}) {
    if (IsSecretgateShim(dir + "/" + n)) AddUnique(names, n);
  }
  for (const auto& n : names) {
    const std::string path = dir + "/" + n;
    if (!PathExists(path)) continue;
    if (!IsSecretgateShim(path)) {
      std::cerr << "secretgate: warning: " << path << " is no longer secretgate's; left as it is\n";
      continue;
    }
    if (::unlink(path.c_str()) != 0) return Status::IOError("cannot remove " + path);
    std::cout << "removed " << path << "\n";
  }
  for (const char* n : {"pre-receive", "post-receive"}) {
    const std::string chained = dir + "/" + n + ".secretgate-chained";
    const std::string path = dir + "/" + n;
    if (!PathExists(chained)) continue;
    if (PathExists(path)) {
      std::cerr << "secretgate: warning: " << chained << " not put back: " << path << " exists\n";
      continue;
    }
    if (std::rename(chained.c_str(), path.c_str()) != 0) {
      return Status::IOError("cannot move " + chained + " back to " + path);
    }
    std::cout << "put back " << path << "\n";
  }
  ::unlink((dir + "/" + kManifest).c_str());
  return Status::Ok();
}

int Protect(const Args& args) {
  if (auto path = args.Get("repo")) {
    auto repo = git::Repository::Open(*path);
    if (!repo.ok()) return ReportError(repo.status());
    const std::string dir = repo->git_dir() + "/hooks";
    Manifest m = LoadManifest(dir).ok() ? *LoadManifest(dir) : Manifest();
    m.scope = "repository";
    Status s = InstallShims(dir, /*hooks_path=*/false, m);
    if (s.ok()) s = SetConfig("", repo->git_dir(), "receive.advertisePushOptions", "true", m);
    if (s.ok()) s = SaveManifest(dir, m);
    if (!s.ok()) return ReportError(s);
    std::cout << "protected " << repo->git_dir() << "\n";
    return kExitOk;
  }
  std::string dir = std::filesystem::absolute(*args.Get("hooks-path")).lexically_normal().string();
  Manifest m = LoadManifest(dir).ok() ? *LoadManifest(dir) : Manifest();
  m.scope = "system";
  Status s = InstallShims(dir, /*hooks_path=*/true, m);
  if (s.ok()) s = SetConfig("--system", "", "core.hooksPath", dir, m);
  if (s.ok()) s = SetConfig("--system", "", "receive.advertisePushOptions", "true", m);
  if (s.ok()) s = SaveManifest(dir, m);
  if (!s.ok()) return ReportError(s);
  std::cout << "every repository on this host now uses " << dir << " (core.hooksPath)\n";
  return kExitOk;
}

int Unprotect(const Args& args) {
  if (auto path = args.Get("repo")) {
    auto repo = git::Repository::Open(*path);
    if (!repo.ok()) return ReportError(repo.status());
    const std::string dir = repo->git_dir() + "/hooks";
    auto m = LoadManifest(dir);
    Status s = RemoveShims(dir, m.ok() ? *m : Manifest());
    if (s.ok() && m.ok()) s = RestoreConfig("", repo->git_dir(), *m);
    if (!s.ok()) return ReportError(s);
    std::cout << "unprotected " << repo->git_dir() << "\n";
    return kExitOk;
  }
  std::string dir = std::filesystem::absolute(*args.Get("hooks-path")).lexically_normal().string();
  auto m = LoadManifest(dir);
  Status s = RemoveShims(dir, m.ok() ? *m : Manifest());
  if (s.ok() && m.ok()) {
    s = RestoreConfig("--system", "", *m);
  } else if (s.ok()) {
    std::string current;
    if (RunGit({"config", "--system", "--get", "core.hooksPath"}, &current) == 0 &&
        current == dir) {
      RunGit({"config", "--system", "--unset", "core.hooksPath"});
      std::cout << "unset core.hooksPath\n";
    }
  }
  if (!s.ok()) return ReportError(s);
  std::cout << "repositories on this host no longer use " << dir << "\n";
  return kExitOk;
}

int Run(const Args& args, bool protect) {
  if (args.Has("repo") == args.Has("hooks-path")) {
    return ReportError(Status::Invalid(std::string(protect ? "protect" : "unprotect") +
                                       ": give exactly one of --repo PATH and --hooks-path DIR"));
  }
  return protect ? Protect(args) : Unprotect(args);
}

}  // namespace

int RunProtect(const Args& args) { return Run(args, true); }
int RunUnprotect(const Args& args) { return Run(args, false); }

}  // namespace sg::cli
