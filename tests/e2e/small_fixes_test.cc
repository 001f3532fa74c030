// End to end: the small things issue 10 (item 11) found, each pinned by what the user sees.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "e2e/git_server.h"

using namespace sg::testing;
using nlohmann::json;

TEST_CASE(
    "a secret in a root commit that is not the tip is fixed with rebase --root, not <sha>~1") {
  GitServer s;
  s.Commit({{"a.env", "T=" + GithubToken(6001) + "\n"}}, "first");
  const std::string root = s.Head();
  s.Commit({{"b.txt", "more\n"}}, "second");
  auto r = s.Push();
  CHECK(r.code != 0);
  CHECK(Contains(r.err, root.substr(0, 12) + " is the first commit: `git rebase -i --root`"));
  CHECK(!Contains(r.err, root + "~1"));
}

TEST_CASE("deleting a ref that does not exist is no internal error, even with fail_mode=closed") {
  GitServer s;
  s.SetConfig("fail_mode = 'closed'");
  s.Commit({{"a.txt", "x\n"}});
  REQUIRE(s.Push().code == 0);
  // git sends this line when asked to delete a ref the server does not have (e.g. by send-pack
  // or a stale mirror); the hook gets it on stdin like any other.
  const std::string zero(40, '0');
  auto r = Sh("printf '%s %s refs/heads/gone\\n' " + zero + " " + zero + " | env " + s.Env() +
                  " GIT_DIR=. " + Quote(Binary()) + " pre-receive",
              s.bare());
  CHECK(r.code == 0);
  CHECK(!Contains(r.err, "internal error"));
  CHECK(Contains(s.log(), "decision=accepted"));
}

TEST_CASE(
    "alerts list --format csv escapes control characters and neutralises spreadsheet formulas") {
  GitServer s;
  s.SetConfig("mode = 'audit'");
  s.Commit({{"=cmd|' /C calc'!A0.env", "T=" + GithubToken(6002) + "\n"},
            {"ctl\x1b[2J.env", "T=" + GithubToken(6005) + "\n"}});
  REQUIRE(s.Push().code == 0);
  auto csv = s.Sg("alerts list --format csv --repo " + Quote(s.bare()));
  REQUIRE(csv.code == 0);
  CHECK(Contains(csv.out, ",'=cmd|' /C calc'!A0.env"));
  CHECK(!Contains(csv.out, ",=cmd"));
  CHECK(Contains(csv.out, "ctl\\x1b[2J.env"));
  CHECK(!Contains(csv.out, "\x1b"));
}

TEST_CASE("a file name with a right-to-left override reaches the pusher escaped") {
  GitServer s;
  const std::string name =
      "cfg\xe2\x80\xae"
      "vne.txt";
  s.Commit({{name, "T=" + GithubToken(6003) + "\n"}});
  auto r = s.Push();
  CHECK(r.code != 0);
  CHECK(Contains(r.err, "cfg\\u{202e}vne.txt:1:3"));
  CHECK(!Contains(r.err, "\xe2\x80\xae"));
  auto list = s.Sg("alerts list --repo " + Quote(s.bare()));
  CHECK(Contains(list.out, "cfg\\u{202e}vne.txt"));
  CHECK(!Contains(list.out, "\xe2\x80\xae"));
}

TEST_CASE("over plain SSH, the authorized_keys forced command names the pusher") {
  GitServer s;
  s.SetConfig("mode = 'audit'");
  // The line README gives for ~git/.ssh/authorized_keys (one per person):
  //   command="SECRETGATE_PUSHER=alice exec git-shell -c \"$SSH_ORIGINAL_COMMAND\"",restrict
  //   ssh-ed25519 AAAA...
  // sshd runs the command with the user's shell (-c) and SSH_ORIGINAL_COMMAND set; this stand-in
  // for sshd does exactly that with the same command text.
  const std::string command = "SECRETGATE_PUSHER=alice exec git-shell -c \"$SSH_ORIGINAL_COMMAND\"";
  WriteFile(s.root() + "/fake-sshd", "#!/bin/sh\nshift\ncd " + Quote(s.root()) +
                                         " && SSH_ORIGINAL_COMMAND=\"$*\" exec sh -c " +
                                         Quote(command) + "\n");
  REQUIRE(Sh("chmod +x " + Quote(s.root() + "/fake-sshd")).code == 0);
  s.Commit({{"k.env", "T=" + GithubToken(6004) + "\n"}});
  auto r =
      s.InWork("GIT_SSH=" + Quote(s.root() + "/fake-sshd") +
               " GIT_SSH_VARIANT=simple git push -q git@server:server.git HEAD:refs/heads/main");
  REQUIRE_MESSAGE(r.code == 0, r.err);
  auto list = s.Sg("alerts list --format json --repo " + Quote(s.bare()));
  json alerts = json::parse(list.out);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["locations"][0]["pushed_by"] == "alice");
  CHECK(Contains(s.log(), "pusher=alice"));
}
