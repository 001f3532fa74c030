#include "cli/chain.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <vector>

#include <spdlog/spdlog.h>

#include "util/fs.h"

extern char** environ;

namespace sg::cli {
namespace {

std::string Canonical(const std::string& p) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

// Runs `path` with `input` on its stdin; returns its exit status (128+signal when killed).
int RunWithInput(const std::string& path, const std::string& input) {
  int fds[2];
  if (::pipe(fds) != 0) return 1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::vector<char*> argv = {const_cast<char*>(path.c_str()), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    spdlog::error("cannot run chained hook {}: {}", path, std::strerror(rc));
    return 1;
  }
  // A hook that exits without reading its input must not kill us with SIGPIPE.
  struct sigaction ign {}, old {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  size_t off = 0;
  while (off < input.size()) {
    ssize_t n = ::write(fds[1], input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(fds[1]);
  ::sigaction(SIGPIPE, &old, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

bool IsSecretgateShim(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return false;
  return text->find(kShimMarker) != std::string::npos ||
         text->find(kPostShimMarker) != std::string::npos ||
         text->find(kChainedShimMarker) != std::string::npos;
}

int RunChainedHooks(const std::string& name, const std::string& hook_dir,
                    const std::string& git_dir, const std::string& input) {
  std::vector<std::string> hooks;
  if (!hook_dir.empty()) {
    std::string chained = hook_dir + "/" + name + ".secretgate-chained";
    if (IsExecutableFile(chained)) hooks.push_back(chained);
  }
  std::string own_dir = git_dir + "/hooks";
  if (!hook_dir.empty() && Canonical(hook_dir) != Canonical(own_dir)) {
    std::string own = own_dir + "/" + name;
    if (IsExecutableFile(own) && !IsSecretgateShim(own)) hooks.push_back(own);
  }
  for (const auto& h : hooks) {
    int rc = RunWithInput(h, input);
    spdlog::info("chained hook {} exited {}", h, rc);
    if (rc != 0) return rc;
  }
  return 0;
}

}  // namespace sg::cli
