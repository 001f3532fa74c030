// End to end: installed server-wide through core.hooksPath, secretgate silences none of a
// repository's own server hooks, and unprotect undoes what protect changed (issue 10, item 5).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "e2e/git_server.h"

using namespace sg::testing;

namespace {

// An executable hook script.
void WriteHook(const std::string& path, const std::string& body) {
  WriteFile(path, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0755);
}

// protect --hooks-path into `dir`, with git's system config in `system` (never /etc/gitconfig).
RunResult ProtectHooksPath(const GitServer& s, const std::string& dir, bool protect = true) {
  return Sh("env " + s.Env() + " " + Quote(Binary()) + (protect ? " protect" : " unprotect") +
                " --hooks-path " + Quote(dir),
            s.root());
}

}  // namespace

TEST_CASE(
    "with core.hooksPath a repository's own update hook still rejects, and its other hooks run") {
  GitServer s(/*protect=*/false);
  const std::string system = s.root() + "/system-gitconfig";
  const std::string dir = s.root() + "/global-hooks";
  WriteFile(system, "");
  s.UseSystemConfig(system);
  auto p = ProtectHooksPath(s, dir);
  REQUIRE_MESSAGE(p.code == 0, p.err);
  CHECK(Contains(ReadFileOrEmpty(system), "hooksPath = " + dir));
  CHECK(Contains(p.err, "push-to-checkout"));  // the one hook that cannot be chained exactly

  const std::string own = s.bare() + "/hooks/";
  WriteHook(
      own + "update",
      "case $1 in refs/heads/frozen) echo \"own update hook: $1 is frozen\" >&2; exit 1;; esac\n"
      "echo \"$1 $2 $3\" >> \"$GIT_DIR/update.ran\"\n");
  WriteHook(own + "post-update", "echo \"$@\" >> post-update.ran\n");
  WriteHook(own + "reference-transaction",
            "echo \"$1\" >> reference-transaction.ran\ncat >/dev/null\n");
  WriteHook(own + "pre-receive", "cat > pre-receive.ran\n");

  s.Commit({{"a.txt", "one\n"}});
  auto ok = s.Push();
  CHECK_MESSAGE(ok.code == 0, ok.err);
  CHECK(Contains(ReadFileOrEmpty(s.bare() + "/update.ran"), "refs/heads/main"));
  CHECK(Contains(ReadFileOrEmpty(s.bare() + "/post-update.ran"), "refs/heads/main"));
  CHECK(Contains(ReadFileOrEmpty(s.bare() + "/reference-transaction.ran"), "committed"));
  CHECK(Contains(ReadFileOrEmpty(s.bare() + "/pre-receive.ran"), "refs/heads/main"));

  auto frozen = s.Push("HEAD:refs/heads/frozen");
  CHECK(frozen.code != 0);
  CHECK(Contains(frozen.err, "own update hook: refs/heads/frozen is frozen"));
  CHECK(s.InBare("git rev-parse -q --verify refs/heads/frozen").code != 0);

  // secretgate itself still blocks.
  s.Commit({{"b.env", "T=" + GithubToken(3001) + "\n"}});
  CHECK(Contains(s.Push().err, "secretgate: push rejected"));

  // unprotect removes the shims and restores the system config as it was.
  auto u = ProtectHooksPath(s, dir, /*protect=*/false);
  REQUIRE_MESSAGE(u.code == 0, u.err);
  CHECK(!Contains(ReadFileOrEmpty(system), "hooksPath"));
  CHECK(!Contains(ReadFileOrEmpty(system), "advertisePushOptions"));
  CHECK(!PathExists(dir + "/pre-receive"));
  CHECK(!PathExists(dir + "/update"));
}

TEST_CASE(
    "protect --hooks-path leaves a foreign hook in the folder alone and says what that costs") {
  GitServer s(/*protect=*/false);
  const std::string system = s.root() + "/system-gitconfig";
  const std::string dir = s.root() + "/global-hooks";
  WriteFile(system, "[core]\n\thooksPath = /old/hooks\n");
  s.UseSystemConfig(system);
  std::filesystem::create_directories(dir);
  WriteHook(dir + "/update", "exit 0\n");
  auto p = ProtectHooksPath(s, dir);
  REQUIRE(p.code == 0);
  CHECK(Contains(p.err, dir + "/update exists and is not secretgate's"));
  CHECK(ReadFileOrEmpty(dir + "/update") == "#!/bin/sh\nexit 0\n");
  REQUIRE(ProtectHooksPath(s, dir, false).code == 0);
  CHECK(Contains(ReadFileOrEmpty(system), "hooksPath = /old/hooks"));  // the old value is back
  CHECK(PathExists(dir + "/update"));
}

TEST_CASE("unprotect --repo puts back the hook protect moved aside and the config it changed") {
  GitServer s(/*protect=*/false);
  WriteHook(s.bare() + "/hooks/pre-receive", "exit 0\n");
  REQUIRE(s.InBare("git config receive.advertisePushOptions false").code == 0);
  auto p = s.Sg("protect --repo " + Quote(s.bare()));
  REQUIRE_MESSAGE(p.code == 0, p.err);
  CHECK(PathExists(s.bare() + "/hooks/pre-receive.secretgate-chained"));
  CHECK(s.InBare("git config receive.advertisePushOptions").out == "true\n");
  auto u = s.Sg("unprotect --repo " + Quote(s.bare()));
  REQUIRE_MESSAGE(u.code == 0, u.err);
  CHECK(ReadFileOrEmpty(s.bare() + "/hooks/pre-receive") == "#!/bin/sh\nexit 0\n");
  CHECK(!PathExists(s.bare() + "/hooks/pre-receive.secretgate-chained"));
  CHECK(!PathExists(s.bare() + "/hooks/post-receive"));
  CHECK(s.InBare("git config receive.advertisePushOptions").out == "false\n");
  s.Commit({{"b.env", "T=" + GithubToken(3002) + "\n"}});
  CHECK(s.Push().code == 0);  // unprotected: nothing scans any more
}

TEST_CASE(
    "gitolite3 under a global core.hooksPath still enforces branch permissions and creates "
    "repositories") {
  if (!AmRoot()) {
    MESSAGE("needs root to run gitolite as its own OS user (CI runs as root)");
    return;
  }
  if (Sh("test -x /usr/share/gitolite3/gitolite-shell").code != 0) {
    FAIL("gitolite3 is not installed (install.sh --test installs it)");
  }
  EnsureOsUser("sgtest-gl");
  GitServer s(/*protect=*/false);  // for its config file and environment
  const std::string top = s.root() + "/gl";
  const std::string home = top + "/home", system = top + "/system-gitconfig",
                    dir = top + "/global-hooks";
  std::filesystem::create_directories(home);
  WriteFile(system, "");
  s.UseSystemConfig(system);
  Sh("ssh-keygen -q -t ed25519 -N '' -f " + Quote(top + "/admin"));
  // sshd's part: the forced command gitolite puts in authorized_keys, for user $GL_TEST_USER.
  WriteHook(top + "/gl-ssh",
            "shift\nSSH_CONNECTION='127.0.0.1 50000 127.0.0.1 22' SSH_ORIGINAL_COMMAND=\"$*\" "
            "HOME=" +
                Quote(home) + " exec /usr/share/gitolite3/gitolite-shell \"$GL_TEST_USER\"\n");
  REQUIRE(Sh("chmod 0755 " + Quote(s.root()) + " && chown -R sgtest-gl " + Quote(s.root())).code ==
          0);
  const std::string env = "env " + s.Env() + " GIT_SSH=" + Quote(top + "/gl-ssh") +
                          " GIT_SSH_VARIANT=simple GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x "
                          "GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x ";
  auto as = [&](const std::string& user, const std::string& cmd) {
    return ShAs("sgtest-gl", env + "GL_TEST_USER=" + user + " sh -c " + Quote(cmd), top);
  };
  auto setup =
      ShAs("sgtest-gl",
           env + "HOME=" + Quote(home) + " gitolite setup -pk " + Quote(top + "/admin.pub"), top);
  REQUIRE_MESSAGE(setup.code == 0, setup.err);
  // secretgate everywhere, the way install.sh --hooks-path does it.
  auto p = ProtectHooksPath(s, dir);
  REQUIRE_MESSAGE(p.code == 0, p.err);
  Sh("chown -R sgtest-gl " + Quote(dir));

  // The admin adds a repository where alice may push but not rewrite (RW, no +).
  auto admin =
      as("admin",
         "git clone -q git@gl:gitolite-admin admin-work && cd admin-work && "
         "printf '\\nrepo proj\\n    RW+ = admin\\n    RW  = alice\\n' >> conf/gitolite.conf && "
         "git commit -qam 'add proj' && git push -q origin master 2>&1");
  REQUIRE_MESSAGE(admin.code == 0, admin.err);
  CHECK(PathExists(home + "/repositories/proj.git"));  // gitolite-admin's post-update ran

  auto first =
      as("alice",
         "git clone -q git@gl:proj alice 2>/dev/null; cd alice && git checkout -q -b master && "
         "echo one > a && git add a && git commit -qm one && echo two > b && git add b && "
         "git commit -qm two && git push -q origin master");
  REQUIRE_MESSAGE(first.code == 0, first.err);
  auto rewrite = as("alice",
                    "cd alice && git reset -q --hard HEAD~1 && echo other > c && git add c && "
                    "git commit -qm rewrite && git push -q --force origin master");
  CHECK(rewrite.code != 0);
  CHECK(Contains(rewrite.err, "DENIED"));  // gitolite's update hook refused the force push
  auto secret = as("alice",
                   "cd alice && git pull -q --rebase=false -X theirs origin master 2>/dev/null;"
                   " git reset -q --hard origin/master && echo T=" +
                       GithubToken(3003) +
                       " > s.env && git add s.env && git commit -qm s && git push origin master");
  CHECK(secret.code != 0);
  CHECK(Contains(secret.err, "secretgate: push rejected"));
  // Without the update shim, the same force push goes through: what the issue found.
  std::filesystem::remove(dir + "/update");
  auto unguarded =
      as("alice", "cd alice && git reset -q --hard HEAD~1 && git push -q --force origin master");
  CHECK(unguarded.code == 0);
}
