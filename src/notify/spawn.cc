#include "notify/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

namespace sg::notify {
namespace {

using Clock = std::chrono::steady_clock;

class Pipe {
 public:
  Status Open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return Status::IOError(std::string("pipe: ") + std::strerror(errno));
    read_ = fds[0];
    write_ = fds[1];
    return Status::Ok();
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  int read() const { return read_; }
  int write() const { return write_; }
  void CloseRead() {
    if (read_ >= 0) ::close(read_);
    read_ = -1;
  }
  void CloseWrite() {
    if (write_ >= 0) ::close(write_);
    write_ = -1;
  }

 private:
  int read_ = -1, write_ = -1;
};

struct FileActions {
  posix_spawn_file_actions_t fa;
  FileActions() { posix_spawn_file_actions_init(&fa); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa); }
};

struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
};

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::vector<std::string> ProgramEnvironment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  env["LANG"] = "C.UTF-8";
  if (struct passwd* pw = ::getpwuid(::geteuid())) {
    if (pw->pw_dir) env["HOME"] = pw->pw_dir;
    if (pw->pw_name) env["USER"] = env["LOGNAME"] = pw->pw_name;
  }
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

Result<ProgramResult> RunProgram(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env, std::string_view input,
                                 double timeout_seconds) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    return Status::Invalid("a program must be given by its absolute path");
  }
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });

  Pipe in, out;
  SG_RETURN_IF_ERROR(in.Open());
  SG_RETURN_IF_ERROR(out.Open());
  FileActions fa;
  posix_spawn_file_actions_adddup2(&fa.fa, in.read(), 0);
  posix_spawn_file_actions_adddup2(&fa.fa, out.write(), 1);
  posix_spawn_file_actions_adddup2(&fa.fa, out.write(), 2);
  posix_spawn_file_actions_addclosefrom_np(&fa.fa, 3);
  SpawnAttr sa;
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&sa.attr, &none);
  posix_spawnattr_setsigdefault(&sa.attr, &defaults);
  posix_spawnattr_setpgroup(&sa.attr, 0);
  posix_spawnattr_setflags(&sa.attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  auto c_argv = CStrings(argv);
  auto c_env = CStrings(env);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &fa.fa, &sa.attr, c_argv.data(), c_env.data());
  if (rc != 0) {
    return Status::IOError("cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  in.CloseRead();
  out.CloseWrite();
  ::fcntl(in.write(), F_SETFL, ::fcntl(in.write(), F_GETFL) | O_NONBLOCK);

  // A pidfd turns the child's exit into a poll event; without one (old kernels) poll wakes up
  // every 20 ms to ask waitpid.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  ProgramResult result;
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  size_t written = 0;
  if (input.empty()) in.CloseWrite();
  int status = 0;
  bool exited = false;
  bool out_open = true;
  char buf[4096];
  while (!exited) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      exited = true;
      break;
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      result.timed_out = true;
      exited = true;
      break;
    }
    pollfd fds[3];
    int n = 0;
    if (in.write() >= 0) fds[n++] = {in.write(), POLLOUT, 0};
    if (out_open) fds[n++] = {out.read(), POLLIN, 0};
    if (pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
    int64_t left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    if (pidfd < 0) left = std::min<int64_t>(left, 20);
    int pr = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<int64_t>(left, 1000)));
    if (pr < 0 && errno != EINTR) break;
    for (int i = 0; i < n && pr > 0; ++i) {
      if (fds[i].fd == in.write() && (fds[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t k = ::write(in.write(), input.data() + written, input.size() - written);
        if (k > 0) written += static_cast<size_t>(k);
        if ((k < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
          in.CloseWrite();  // done, or the program closed its stdin (EPIPE)
        }
      } else if (fds[i].fd == out.read() && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t k = ::read(out.read(), buf, sizeof buf);
        if (k > 0) {
          size_t keep =
              std::min(static_cast<size_t>(k),
                       kMaxProgramOutput - std::min(kMaxProgramOutput, result.output.size()));
          result.output.append(buf, keep);
        } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
          out_open = false;
        }
      }
    }
  }
  // Whatever the program wrote before it exited (a descendant holding the pipe is not waited for).
  if (out_open && !result.timed_out) {
    ::fcntl(out.read(), F_SETFL, ::fcntl(out.read(), F_GETFL) | O_NONBLOCK);
    ssize_t k;
    while (result.output.size() < kMaxProgramOutput &&
           (k = ::read(out.read(), buf,
                       std::min(sizeof buf, kMaxProgramOutput - result.output.size()))) > 0) {
      result.output.append(buf, static_cast<size_t>(k));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace sg::notify
