// A real git server for end-to-end tests: a bare repository protected by `secretgate protect`
// exactly as install.sh protects one, a client clone that pushes to it with real `git push`,
// and a config file the hook reads through SECRETGATE_CONFIG.
#pragma once

#include <map>
#include <string>

#include "helpers.h"

namespace sg::testing {

class GitServer {
 public:
  // `protect`: install the hooks (false gives an unprotected baseline).
  explicit GitServer(bool protect = true);

  const std::string& root() const { return dir_.path(); }
  std::string bare() const { return dir_ / "server.git"; }
  std::string work() const { return dir_ / "work"; }
  std::string config_path() const { return dir_ / "config.toml"; }
  std::string log() const { return ReadFileOrEmpty(bare() + "/secretgate/secretgate.log"); }

  // Replaces the config file: the base settings plus `extra` TOML lines.
  void SetConfig(const std::string& extra);

  // The environment prefix every command gets (config path, git identity, no system config).
  std::string Env() const;

  // Runs a shell command in the work tree / the bare repository, with Env().
  RunResult InWork(const std::string& cmd) const;
  RunResult InBare(const std::string& cmd) const;
  // Runs the secretgate binary with `args` in the work tree.
  RunResult Sg(const std::string& args) const;

  // Writes files (path -> content) into the work tree and commits them.
  void Commit(const std::map<std::string, std::string>& files,
              const std::string& message = "change");
  std::string Head() const;

  // `git push origin <refspec> [extra]`.
  RunResult Push(const std::string& refspec = "HEAD:refs/heads/main",
                 const std::string& extra = "") const;

  // From now on the server and the client belong to the OS user `user` (see EnsureOsUser), and
  // every command above runs as that user (runuser), as a real push over SSH would. Root only.
  void RunAs(const std::string& user);
  // A shell command prefix that runs what follows as the current RunAs user (empty: as we are).
  std::string AsUser() const;
  // From now on git reads `path` as its system config (GIT_CONFIG_SYSTEM) instead of none, as
  // `protect --hooks-path` needs; the machine's own /etc/gitconfig is never touched.
  void UseSystemConfig(const std::string& path) { system_config_ = path; }

 private:
  TempDir dir_;
  std::string user_;
  std::string system_config_;
};

// True when the tests run as root (CI does): tests that need real OS users run only then.
bool AmRoot();
// Creates (once) a system user `name` with no home, and group `group` when not empty, making the
// user a member of it. Root only; throws on failure.
void EnsureOsUser(const std::string& name, const std::string& group = "");
// Runs `cmd` with /bin/sh as OS user `user` in `cwd`.
RunResult ShAs(const std::string& user, const std::string& cmd, const std::string& cwd = "/");

// The cache shared by every test's engine, so that rules compile once per test run.
std::string SharedCacheDir();

}  // namespace sg::testing
