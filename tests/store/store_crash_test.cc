// Crashes and concurrency: kill -9 at random moments, many writers at once, dead lock holders.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#include <map>
#include <random>
#include <set>

#include "store_test_util.h"

namespace sg::store::testing {
namespace {

// Reads everything from `fd` until end of file and closes it.
std::string Drain(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

void WriteLine(int fd, const std::string& line) {
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(4);
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

// "<secret> <number>" lines -> map; every secret must keep one number.
void Collect(const std::string& text, std::map<std::string, int64_t>& acked) {
  std::istringstream in(text);
  std::string secret;
  int64_t number;
  while (in >> secret >> number) {
    auto [it, inserted] = acked.emplace(secret, number);
    CHECK_MESSAGE(it->second == number, secret);
  }
}

void CheckStoreHolds(const std::string& dir, const std::map<std::string, int64_t>& acked) {
  Store store = OpenOrDie(Options(dir));
  CHECK(store.damage().ok());
  auto report = store.Verify();
  REQUIRE(report.ok());
  for (const auto& p : report->problems) INFO(p.file << ":" << p.line << ": " << p.reason);
  CHECK(report->ok());
  CHECK(report->torn_tail_bytes == 0);
  auto list = store.List({});
  REQUIRE(list.ok());
  for (size_t i = 0; i < list->size(); ++i) CHECK((*list)[i].number == static_cast<int64_t>(i + 1));
  std::set<std::string> fingerprints;
  for (const Alert& a : *list) fingerprints.insert(a.fingerprint);
  CHECK(fingerprints.size() == list->size());  // never two alerts for one secret
  for (const auto& [secret, number] : acked) {
    auto a = store.FindBySecret("r", secret);
    REQUIRE(a.ok());
    REQUIRE_MESSAGE(a->has_value(), "acknowledged but lost: " << secret);
    CHECK((*a)->number == number);
  }
}

TEST_CASE("a writer killed at random moments never loses an acknowledged record") {
  TempDir tmp;
  LogCapture quiet;  // every trial repairs a torn tail, with a warning
  std::mt19937 rng(20261122);
  std::map<std::string, int64_t> acked;
  const auto started = std::chrono::steady_clock::now();
  int trials = 0;
  for (; trials < 200; ++trials) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const unsigned seed = rng();
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      std::mt19937 child_rng(seed);
      auto store = Store::Open(Options(tmp.path()));
      if (!store.ok()) ::_exit(3);
      for (int i = 0;; ++i) {
        std::vector<Observation> obs;
        const int n = 1 + static_cast<int>(child_rng() % 4);
        for (int k = 0; k < n; ++k) {
          obs.push_back(Obs("r", "t" + std::to_string(trials) + "-" + std::to_string(i) + "-" +
                                     std::to_string(k)));
        }
        obs.push_back(Obs("r", Name("shared-", child_rng() % 7), Name("f", i)));
        auto out = store->Record(obs, std::nullopt, "writer");
        if (!out.ok()) ::_exit(5);
        std::string lines;
        for (size_t k = 0; k < obs.size(); ++k) {
          lines += obs[k].secret + " " + std::to_string((*out)[k].number) + "\n";
        }
        WriteLine(fds[1], lines);
      }
    }
    ::close(fds[1]);
    std::string early;
    if (trials % 2 == 0) {
      // Half the kills land while the child opens (and repairs) the store...
      ::usleep(static_cast<useconds_t>(rng() % 30000));
    } else {
      // ...the other half in the middle of its appends, however fast this build runs.
      pollfd p{fds[0], POLLIN, 0};
      REQUIRE(::poll(&p, 1, 10000) == 1);
      char buf[256];
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n > 0) early.assign(buf, static_cast<size_t>(n));
      ::usleep(static_cast<useconds_t>(rng() % 10000));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK_MESSAGE(WIFSIGNALED(status), "child exited by itself with " << WEXITSTATUS(status));
    Collect(early + Drain(fds[0]), acked);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE(trials << " kill -9 trials, " << acked.size() << " acknowledged secrets, " << seconds
                 << " s");
  CHECK(acked.size() >= 100);  // every other trial waits for an acknowledgement
  CheckStoreHolds(tmp.path(), acked);
}

TEST_CASE("sixteen processes recording at once never lose or duplicate an alert") {
  TempDir tmp;
  constexpr int kProcs = 16, kBatches = 15;
  int go[2];
  REQUIRE(::pipe(go) == 0);
  std::vector<std::pair<pid_t, int>> kids;
  for (int p = 0; p < kProcs; ++p) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      ::close(go[1]);
      char c;
      (void)::read(go[0], &c, 1);  // returns 0 when the parent closes: everyone starts at once
      auto store = Store::Open(Options(tmp.path()));
      if (!store.ok()) ::_exit(3);
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Observation> obs = {
            Obs("r", "p" + std::to_string(p) + Name("-", b)),
            Obs("r", Name("shared-", b % 5), Name("p", p)),
            Obs("r", "everyone", "p" + std::to_string(p) + Name("-", b))};
        auto out = store->Record(obs, std::nullopt, Name("p", p));
        if (!out.ok()) ::_exit(5);
        std::string lines;
        for (size_t k = 0; k < obs.size(); ++k) {
          lines += obs[k].secret + " " + std::to_string((*out)[k].number) + "\n";
        }
        WriteLine(fds[1], lines);
      }
      ::_exit(0);
    }
    ::close(fds[1]);
    kids.emplace_back(pid, fds[0]);
  }
  ::close(go[0]);
  ::close(go[1]);
  std::map<std::string, int64_t> acked;
  for (auto [pid, fd] : kids) {
    Collect(Drain(fd), acked);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(acked.size() == kProcs * kBatches + 5 + 1);
  CheckStoreHolds(tmp.path(), acked);
  Store store = OpenOrDie(Options(tmp.path()));
  CHECK(store.List({})->size() == acked.size());
  auto everyone = store.FindBySecret("r", "everyone");
  CHECK((*everyone)->locations.size() == kProcs * kBatches);
}

// Forks a child that takes the store lock and sleeps; returns its pid once it holds the lock.
pid_t ForkLockHolder(const std::string& dir) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open((dir + "/lock").c_str(), O_RDWR);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) ::_exit(3);
    WriteLine(fds[1], "x");
    for (;;) ::pause();
  }
  ::close(fds[1]);
  char c = 0;
  REQUIRE(::read(fds[0], &c, 1) == 1);
  ::close(fds[0]);
  return pid;
}

TEST_CASE("a lock holder killed while holding the lock does not wedge the next opener") {
  TempDir tmp;
  { Store store = OpenOrDie(Options(tmp.path())); }
  const pid_t pid = ForkLockHolder(tmp.path());
  ::kill(pid, SIGKILL);
  REQUIRE(::waitpid(pid, nullptr, 0) == pid);
  OpenOptions o = Options(tmp.path());
  o.lock_timeout = std::chrono::milliseconds(2000);
  Store store = OpenOrDie(o);
  CHECK(RecordOrDie(store, {Obs("r", "S1")})[0].number == 1);
}

TEST_CASE("waiting for a held lock times out with a clear error") {
  TempDir tmp;
  { Store store = OpenOrDie(Options(tmp.path())); }
  Store early = OpenOrDie(Options(tmp.path()));
  const pid_t pid = ForkLockHolder(tmp.path());
  OpenOptions o = Options(tmp.path());
  o.lock_timeout = std::chrono::milliseconds(150);
  auto late = Store::Open(o);
  CHECK(late.status().code() == Code::kIOError);
  CHECK(late.status().message().find("timed out") != std::string::npos);
  CHECK(late.status().message().find(tmp / "lock") != std::string::npos);
  ::kill(pid, SIGKILL);
  REQUIRE(::waitpid(pid, nullptr, 0) == pid);
  CHECK(RecordOrDie(early, {Obs("r", "S1")})[0].number == 1);
}

}  // namespace
}  // namespace sg::store::testing
