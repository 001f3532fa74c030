#include "e2e/git_server.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace sg::testing {

std::string SharedCacheDir() { return "/tmp/secretgate-test-cache"; }

GitServer::GitServer(bool protect) {
  SetConfig("");
  WriteFile(dir_ / "home/.gitconfig",
            "[user]\n\tname = Test Pusher\n\temail = pusher@example.invalid\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n");
  auto r = Sh(Env() +
                  " git init -q --bare server.git && git init -q work && "
                  "cd work && git remote add origin ../server.git",
              dir_.path());
  if (r.code != 0) throw std::runtime_error("git init failed: " + r.err);
  if (protect) {
    auto p = Sh(Env() + " " + Quote(Binary()) + " protect --repo server.git", dir_.path());
    if (p.code != 0) throw std::runtime_error("secretgate protect failed: " + p.err);
  }
}

void GitServer::SetConfig(const std::string& extra) {
  // Base settings, unless `extra` sets the same key.
  auto sets = [&extra](const std::string& key) {
    return extra.rfind(key + " ", 0) == 0 || extra.find("\n" + key + " ") != std::string::npos;
  };
  const char* rules_env = std::getenv("SECRETGATE_TEST_RULES");
  std::string rules = rules_env ? rules_env : SourceDir() + "/rules";
  std::string text;
  if (!sets("rules")) text += "rules = [" + Quote(rules) + "]\n";
  if (!sets("cache_dir")) text += "cache_dir = '" + SharedCacheDir() + "'\n";
  // A slow CI machine compiling the rules for the first time must not turn a test push into a
  // deadline hit; tests of the deadline set their own.
  if (!sets("timeout")) text += "timeout = 120\n";
  WriteFile(config_path(), text + extra + "\n");
}

std::string GitServer::Env() const {
  const std::string system = system_config_.empty() ? " GIT_CONFIG_NOSYSTEM=1"
                                                    : " GIT_CONFIG_SYSTEM=" + Quote(system_config_);
  return "HOME=" + Quote(dir_ / "home") + system + " SECRETGATE_CONFIG=" + Quote(config_path());
}

RunResult GitServer::InWork(const std::string& cmd) const {
  return Sh(AsUser() + "env " + Env() + " sh -c " + Quote(cmd), work());
}
RunResult GitServer::InBare(const std::string& cmd) const {
  return Sh(AsUser() + "env " + Env() + " sh -c " + Quote(cmd), bare());
}

RunResult GitServer::Sg(const std::string& args) const {
  return Sh(AsUser() + "env " + Env() + " sh -c " + Quote(Quote(Binary()) + " " + args), work());
}

std::string GitServer::AsUser() const {
  return user_.empty() ? "" : "runuser -u " + Quote(user_) + " -- ";
}

void GitServer::RunAs(const std::string& user) {
  auto r = Sh("chmod 0755 " + Quote(root()) + " && chown -R " + Quote(user) + " " + Quote(root()));
  if (r.code != 0) throw std::runtime_error("chown to " + user + " failed: " + r.err);
  user_ = user;
}

bool AmRoot() { return ::geteuid() == 0; }

void EnsureOsUser(const std::string& name, const std::string& group) {
  if (!group.empty() && Sh("getent group " + Quote(group)).code != 0) {
    auto g = Sh("groupadd --system " + Quote(group));
    if (g.code != 0 && Sh("getent group " + Quote(group)).code != 0) {
      throw std::runtime_error("groupadd " + group + ": " + g.err);
    }
  }
  if (Sh("id -u " + Quote(name)).code != 0) {
    auto u = Sh("useradd --system --no-create-home --shell /bin/sh " + Quote(name));
    if (u.code != 0 && Sh("id -u " + Quote(name)).code != 0) {
      throw std::runtime_error("useradd " + name + ": " + u.err);
    }
  }
  if (!group.empty()) Sh("usermod -a -G " + Quote(group) + " " + Quote(name));
}

RunResult ShAs(const std::string& user, const std::string& cmd, const std::string& cwd) {
  return Sh("runuser -u " + Quote(user) + " -- sh -c " + Quote(cmd), cwd);
}

void GitServer::Commit(const std::map<std::string, std::string>& files,
                       const std::string& message) {
  for (const auto& [path, content] : files) WriteFile(work() + "/" + path, content);
  auto r = InWork("git add -A && git commit -q -m " + Quote(message));
  REQUIRE_MESSAGE(r.code == 0, r.err);
}

std::string GitServer::Head() const {
  auto r = InWork("git rev-parse HEAD");
  return r.out.substr(0, 40);
}

RunResult GitServer::Push(const std::string& refspec, const std::string& extra) const {
  return InWork("git push " + extra + " origin " + refspec);
}

}  // namespace sg::testing
