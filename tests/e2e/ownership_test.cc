// End to end: root and other users' repositories and stores (issue 10, items 3 and 4).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/git_server.h"

using namespace sg::testing;
using nlohmann::json;

namespace {

// A repository served as sgtest-git (in warn mode, so the secret is in its history), with the
// one alert its push recorded.
void ServeWithOneAlert(GitServer& s, unsigned seed) {
  EnsureOsUser("sgtest-git");
  s.SetConfig("mode = 'warn'");
  s.RunAs("sgtest-git");
  s.Commit({{"a.env", "T=" + GithubToken(seed) + "\n"}});
  REQUIRE(s.Push().code == 0);
}

// Runs the binary as root (this process) with the server's config.
RunResult AsRoot(const GitServer& s, const std::string& args) {
  return Sh("env " + s.Env() + " " + Quote(Binary()) + " " + args, s.root());
}

}  // namespace

TEST_CASE(
    "root scanning another user's repository gets an error naming dubious ownership, not 0 "
    "findings") {
  if (!AmRoot()) {
    MESSAGE("needs root (CI runs as root)");
    return;
  }
  GitServer s;
  ServeWithOneAlert(s, 2001);
  s.Commit({{"README.md", "x\n"}});
  auto r = AsRoot(s, "scan " + Quote(s.bare()) + " --no-store");
  CHECK(r.code == 2);
  CHECK(Contains(r.err, "dubious ownership"));
  CHECK(Contains(r.err, "sudo -u sgtest-git"));
  CHECK(Contains(r.err, "safe.directory"));
  CHECK(!Contains(r.out, "0 findings"));
  for (const std::string cmd :
       {"alerts list", "alerts show 1", "alerts close 1 --reason revoked"}) {
    auto a = AsRoot(s, cmd + " --repo " + Quote(s.bare()));
    CHECK_MESSAGE(a.code == 2, cmd);
    CHECK_MESSAGE(Contains(a.err, "dubious ownership"), cmd);
    CHECK_MESSAGE(!Contains(a.err, "config value 'safe.directory' was not found"), cmd);
  }
  // As the owner, the same scan works.
  auto own = s.Sg("scan " + Quote(s.bare()) + " --no-store --format json");
  CHECK(own.code == 1);
}

TEST_CASE(
    "root never writes into a store another user owns: it reads it and says why it will not "
    "write") {
  if (!AmRoot()) {
    MESSAGE("needs root (CI runs as root)");
    return;
  }
  GitServer s;
  ServeWithOneAlert(s, 2002);
  const std::string store = s.bare() + "/secretgate";
  // The store's owner plants links where a careless writer would create its temporary files,
  // pointing at a file only root may write.
  const std::string victim = s.root() + "/root-only";
  WriteFile(victim, "root's\n");
  ::chmod(victim.c_str(), 0600);
  for (const char* name : {"stamp.tmp", "index.bin.tmp", "snapshot.bin.tmp"}) {
    ShAs("sgtest-git", "ln -s " + Quote(victim) + " " + Quote(store + "/" + name));
  }
  std::filesystem::remove(store + "/stamp");  // so that a reader would want to write it again
  auto list = AsRoot(s, "alerts list --format json --root " + Quote(s.root()));
  CHECK_MESSAGE(list.code == 0, list.err);
  CHECK(json::parse(list.out).size() == 1);
  CHECK(ReadFileOrEmpty(victim) == "root's\n");
  CHECK(!std::filesystem::exists(store + "/stamp"));  // root wrote nothing at all
  struct stat st;
  for (const auto& e : std::filesystem::directory_iterator(store)) {
    REQUIRE(::lstat(e.path().c_str(), &st) == 0);
    CHECK_MESSAGE(st.st_uid != 0, e.path().string());
  }
  // A write as root is refused with the way out.
  auto close =
      AsRoot(s, "alerts close 1 --reason revoked --repo " + Quote(s.bare()) + " --actor admin");
  CHECK(close.code == 2);
  CHECK(Contains(close.err, "belongs to sgtest-git"));
  CHECK(Contains(close.err, "sudo -u sgtest-git"));
  auto again = s.Sg("alerts list --format json --repo " + Quote(s.bare()));
  CHECK(json::parse(again.out)[0]["state"] == "open");
}

TEST_CASE("alerts list --root names every store it could not read instead of printing 0 alerts") {
  if (!AmRoot()) {
    MESSAGE("needs root (CI runs as root)");
    return;
  }
  EnsureOsUser("sgtest-git");
  EnsureOsUser("sgtest-www");
  GitServer a, b;
  ServeWithOneAlert(a, 2003);
  // b's store belongs to the other user, private: sgtest-git cannot read it.
  b.Commit({{"b.env", "T=" + GithubToken(2004) + "\n"}});
  REQUIRE(b.Push().code != 0);
  REQUIRE(Sh("chmod 0755 " + Quote(b.root()) + " && chown -R sgtest-www " + Quote(b.bare()) +
             " && chmod 0700 " + Quote(b.bare() + "/secretgate"))
              .code == 0);
  // One folder holding both repositories, listed by sgtest-git.
  TempDir top;
  ::chmod(top.path().c_str(), 0755);
  std::filesystem::create_symlink(a.bare(), top / "a.git");
  std::filesystem::create_symlink(b.bare(), top / "b.git");
  Sh("mkdir " + Quote(top / "hosts") + " && cp -a " + Quote(a.bare()) + " " +
     Quote(top / "hosts/a.git") + " && cp -a " + Quote(b.bare()) + " " +
     Quote(top / "hosts/b.git"));
  auto r = ShAs("sgtest-git", "env " + a.Env() + " " + Quote(Binary()) +
                                  " alerts list --format json --root " + Quote(top / "hosts"));
  CHECK(r.code == 2);
  CHECK(json::parse(r.out).size() == 1);  // what could be read is listed
  CHECK(Contains(r.err, "1 store could not be read"));
  CHECK(Contains(r.err, "hosts/b.git/secretgate"));
}
