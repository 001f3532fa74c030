#include "e2e/git_server.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <stdexcept>

namespace sg::testing {

std::string SharedCacheDir() { return "/tmp/secretgate-test-cache"; }

GitServer::GitServer(bool protect) {
  SetConfig("");
  WriteFile(dir_ / "home/.gitconfig",
            "[user]\n\tname = Test Pusher\n\temail = pusher@example.invalid\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n");
  auto r = Sh(Env() + " git init -q --bare server.git && git init -q work && "
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
  return "HOME=" + Quote(dir_ / "home") + " GIT_CONFIG_NOSYSTEM=1 SECRETGATE_CONFIG=" +
         Quote(config_path());
}

RunResult GitServer::InWork(const std::string& cmd) const { return Sh(Env() + " " + cmd, work()); }
RunResult GitServer::InBare(const std::string& cmd) const { return Sh(Env() + " " + cmd, bare()); }

RunResult GitServer::Sg(const std::string& args) const {
  return Sh("export " + Env() + "; " + Quote(Binary()) + " " + args, work());
}

void GitServer::Commit(const std::map<std::string, std::string>& files, const std::string& message) {
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
