// A served root for end-to-end tests: bare repositories at <root>/<owner>/<repo>.git protected by
// `secretgate protect`, a clone of each to push from, a config file, a token directory, and a
// running `secretgate serve` (a child process on a free port, stopped with SIGTERM).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "helpers.h"
#include "server/http_client.h"

namespace sg::testing {

class ServeFixture {
 public:
  // `repos`: full names to create, e.g. {"acme/app", "acme/lib"}.
  explicit ServeFixture(const std::vector<std::string>& repos = {"acme/app"},
                        const std::string& extra_config = "");
  ~ServeFixture();
  ServeFixture(const ServeFixture&) = delete;
  ServeFixture& operator=(const ServeFixture&) = delete;

  std::string root() const { return dir_ / "root"; }
  std::string server_dir() const { return dir_ / "server"; }
  std::string log_path() const { return dir_ / "serve.log"; }
  std::string bare(const std::string& repo) const { return root() + "/" + repo + ".git"; }
  std::string work(const std::string& repo) const { return dir_ / ("work/" + repo); }
  std::string Env() const;
  void SetConfig(const std::string& extra);

  // Runs the secretgate binary with `args` (shell words) and the fixture's environment.
  RunResult Sg(const std::string& args, const std::string& env_prefix = "") const;
  // `secretgate tokens create NAME --role ROLE [--repos GLOBS]`; the token.
  std::string Token(const std::string& name, const std::string& role,
                    const std::string& repos = "") const;

  // Commits `files` in the clone of `repo` and pushes it; `pusher` becomes GL_USERNAME.
  RunResult Push(const std::string& repo, const std::map<std::string, std::string>& files,
                 const std::string& options = "", const std::string& pusher = "pusher") const;
  // Pushes what the clone has again (after a rejection), without a new commit.
  RunResult PushAgain(const std::string& repo, const std::string& options = "",
                      const std::string& pusher = "pusher") const;

  // Starts `secretgate serve` (stopping a running one first) with `extra` arguments.
  void Start(const std::string& extra = "");
  void Stop();
  uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  HttpReply Get(const std::string& path, const std::string& token) const {
    return Api(port_, "GET", path, token);
  }
  HttpReply Patch(const std::string& path, const std::string& token,
                  const std::string& body) const {
    return Api(port_, "PATCH", path, token, body);
  }
  std::string log() const { return ReadFileOrEmpty(log_path()); }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace sg::testing
