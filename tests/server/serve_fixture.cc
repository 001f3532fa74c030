#include "server/serve_fixture.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "e2e/git_server.h"

namespace sg::testing {

ServeFixture::ServeFixture(const std::vector<std::string>& repos, const std::string& extra_config) {
  SetConfig(extra_config);
  WriteFile(dir_ / "home/.gitconfig",
            "[user]\n\tname = Test Pusher\n\temail = pusher@example.invalid\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n");
  ::mkdir(root().c_str(), 0755);
  for (const auto& r : repos) {
    auto res = Sh(Env() + " git init -q --bare " + Quote(bare(r)) + " && " + Quote(Binary()) +
                      " protect --repo " + Quote(bare(r)) + " >/dev/null && git init -q " +
                      Quote(work(r)) + " && git -C " + Quote(work(r)) + " remote add origin " +
                      Quote(bare(r)),
                  dir_.path());
    if (res.code != 0) throw std::runtime_error("setting up " + r + " failed: " + res.err);
  }
}

ServeFixture::~ServeFixture() { Stop(); }

void ServeFixture::SetConfig(const std::string& extra) {
  const char* rules_env = std::getenv("SECRETGATE_TEST_RULES");
  std::string rules = rules_env ? rules_env : SourceDir() + "/rules";
  WriteFile(dir_ / "config.toml", "rules = [" + Quote(rules) + "]\ncache_dir = '" +
                                      SharedCacheDir() + "'\ntimeout = 120\nserver_dir = '" +
                                      server_dir() + "'\n" + extra + "\n");
}

std::string ServeFixture::Env() const {
  return "HOME=" + Quote(dir_ / "home") +
         " GIT_CONFIG_NOSYSTEM=1 SECRETGATE_CONFIG=" + Quote(dir_ / "config.toml");
}

RunResult ServeFixture::Sg(const std::string& args, const std::string& env_prefix) const {
  return Sh("export " + Env() + "; " + env_prefix + " " + Quote(Binary()) + " " + args,
            dir_.path());
}

std::string ServeFixture::Token(const std::string& name, const std::string& role,
                                const std::string& repos) const {
  auto r = Sg("tokens create " + Quote(name) + " --role " + role +
              (repos.empty() ? "" : " --repos " + Quote(repos)));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  std::string t = r.out;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

RunResult ServeFixture::Push(const std::string& repo,
                             const std::map<std::string, std::string>& files,
                             const std::string& options, const std::string& pusher) const {
  for (const auto& [path, content] : files) WriteFile(work(repo) + "/" + path, content);
  auto c = Sh(Env() + " git add -A && " + Env() + " git commit -q -m change", work(repo));
  REQUIRE_MESSAGE(c.code == 0, c.err);
  return PushAgain(repo, options, pusher);
}

RunResult ServeFixture::PushAgain(const std::string& repo, const std::string& options,
                                  const std::string& pusher) const {
  return Sh(Env() + " GL_USERNAME=" + Quote(pusher) + " git push " + options +
                " origin HEAD:refs/heads/main",
            work(repo));
}

void ServeFixture::Start(const std::string& extra) {
  Stop();
  const std::string port_file = dir_ / "port";
  ::unlink(port_file.c_str());
  std::string cmd = "exec " + Quote(Binary()) + " serve --root " + Quote(root()) +
                    " --listen 127.0.0.1:0 --port-file " + Quote(port_file) + " --log-file " +
                    Quote(log_path()) + " " + extra;
  pid_ = ::fork();
  if (pid_ == 0) {
    std::string full = "export " + Env() + "; " + cmd + " 2>>" + Quote(dir_ / "serve.stderr");
    ::execl("/bin/sh", "sh", "-c", full.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  REQUIRE(pid_ > 0);
  for (int i = 0; i < 400; ++i) {
    std::string p = ReadFileOrEmpty(port_file);
    if (!p.empty() && p.back() == '\n') {
      port_ = static_cast<uint16_t>(std::atoi(p.c_str()));
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL("secretgate serve exited: " << ReadFileOrEmpty(dir_ / "serve.stderr"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  FAIL("secretgate serve did not start: " << ReadFileOrEmpty(dir_ / "serve.stderr"));
}

void ServeFixture::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 200 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (::waitpid(pid_, &status, WNOHANG) == 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

}  // namespace sg::testing
