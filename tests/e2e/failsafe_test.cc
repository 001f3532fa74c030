// End to end: the verdict comes from the scan even when the alert store cannot record, and
// what the store could not take is spooled and recorded later (issue 10, item 1).
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/git_server.h"

using namespace sg::testing;
using nlohmann::json;

namespace {

json Alerts(const GitServer& s) {
  auto r = s.Sg("alerts list --format json --repo " + Quote(s.bare()));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  return json::parse(r.out);
}

size_t PendingFiles(const GitServer& s) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(s.bare() + "/secretgate-pending", ec)) {
    if (e.path().extension() == ".json") ++n;
  }
  return n;
}

std::string AllText(const std::string& dir) {
  std::string all;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) all += ReadFileOrEmpty(e.path().string());
  }
  return all;
}

// What the pusher must read when the store could not record a secret the scan found.
void CheckRejectedUnrecorded(const RunResult& r, const std::string& token) {
  CHECK(r.code != 0);
  CHECK(Contains(r.err, "secretgate: push rejected: 1 secret found"));
  CHECK(Contains(r.err, "could not record these findings"));
  CHECK(Contains(r.err, "will be recorded when the store works again"));
  CHECK(!Contains(r.err, "accepted without a secret scan"));
  CHECK(!Contains(r.err, token));
}

}  // namespace

TEST_CASE(
    "recording failure: a store lock held elsewhere for more than 5 s does not let the secret in") {
  GitServer s;
  s.Commit({{"README.md", "hi\n"}});
  REQUIRE(s.Push().code == 0);
  const std::string accepted = s.Head();
  const std::string token = GithubToken(1001);
  s.Commit({{"deploy.env", "GITHUB_TOKEN=" + token + "\n"}}, "add deploy settings");
  // Another process holds the store's lock for longer than the hook waits (5 s).
  auto holder =
      Sh("flock " + Quote(s.bare() + "/secretgate/lock") + " sleep 9 >/dev/null 2>&1 & echo $!");
  REQUIRE(holder.code == 0);
  ::usleep(300000);
  auto r = s.Push();
  CheckRejectedUnrecorded(r, token);
  CHECK(s.InBare("git rev-parse refs/heads/main").out.substr(0, 40) == accepted);
  // The log has the whole finding line, redacted.
  const std::string log = s.log();
  CHECK(Contains(log, "rule=github-pat-classic where=deploy.env:1:14 commit=" + s.Head()));
  CHECK(Contains(
      log, "secret=\"" + token.substr(0, 6) + "…(40 chars)\" mode=block alert=- recorded=spooled"));
  CHECK(Contains(log, "error: recording_failed push_id="));
  CHECK(!Contains(log, token));
  REQUIRE(PendingFiles(s) == 1);
  CHECK(!Contains(AllText(s.bare() + "/secretgate-pending"), token));  // sealed, never plain
  Sh("kill " + holder.out + " 2>/dev/null; sleep 0.2");

  // The next open of the store (any CLI) records what was spooled.
  json alerts = Alerts(s);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["secret_type"] == "github-pat-classic");
  CHECK(alerts[0]["locations"][0]["path"] == "deploy.env");
  CHECK(PendingFiles(s) == 0);
}

TEST_CASE("recording failure: a store made read-only by damage blocks the secret and spools it") {
  GitServer s;
  s.Commit({{"README.md", "hi\n"}});
  REQUIRE(s.Push().code == 0);
  s.Commit({{"a.env", "T=" + GithubToken(1002) + "\n"}});
  REQUIRE(s.Push().code != 0);  // alert 1 recorded: journal lines 1-3
  s.InWork("git reset -q --hard HEAD~1");
  ::usleep(30000);
  // One flipped byte in the last acknowledged record.
  const std::string journal = s.bare() + "/secretgate/journal.jsonl";
  std::string text = ReadFileOrEmpty(journal);
  text[text.size() - 20] ^= 0x01;
  WriteFile(journal, text);
  const std::string token = GithubToken(1003);
  s.Commit({{"b.env", "T=" + token + "\n"}});
  auto r = s.Push();
  CheckRejectedUnrecorded(r, token);
  CHECK(Contains(r.err, "journal.jsonl:"));
  CHECK(PendingFiles(s) == 1);

  // verify names the record and exits non-zero; repair keeps the damaged bytes; the next
  // push applies the spool and numbers go on after what was handed out.
  auto v = s.Sg("store verify --repo " + Quote(s.bare()));
  CHECK(v.code == 2);
  CHECK(Contains(v.out, "journal.jsonl:3:"));
  auto rep = s.Sg("store repair --repo " + Quote(s.bare()));
  CHECK_MESSAGE(rep.code == 0, rep.err);
  CHECK(Contains(rep.out, "damaged/"));
  s.InWork("git reset -q --hard HEAD~1");
  s.Commit({{"clean.txt", "nothing here\n"}});
  CHECK(s.Push().code == 0);
  json alerts = Alerts(s);
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[1]["number"] == 2);
  CHECK(alerts[1]["locations"][0]["path"] == "b.env");
  CHECK(PendingFiles(s) == 0);
}

TEST_CASE(
    "recording failure in warn mode: the push is accepted, the finding spooled and recorded "
    "later") {
  GitServer s;
  s.SetConfig("mode = 'warn'");
  s.Commit({{"README.md", "hi\n"}});
  REQUIRE(s.Push().code == 0);
  auto holder =
      Sh("flock " + Quote(s.bare() + "/secretgate/lock") + " sleep 9 >/dev/null 2>&1 & echo $!");
  ::usleep(300000);
  s.Commit({{"w.env", "T=" + GithubToken(1004) + "\n"}});
  auto r = s.Push();
  CHECK(r.code == 0);
  CHECK(Contains(r.err, "secretgate: warning"));
  CHECK(Contains(r.err, "could not record these findings"));
  CHECK(PendingFiles(s) == 1);
  Sh("kill " + holder.out + " 2>/dev/null; sleep 0.2");
  CHECK(Alerts(s).size() == 1);
}

TEST_CASE(
    "recording failure: a store directory another OS user created 0700 does not let the secret "
    "in") {
  if (!AmRoot()) {
    MESSAGE("needs root to create the second OS user (CI runs as root)");
    return;
  }
  EnsureOsUser("sgtest-git");
  EnsureOsUser("sgtest-www");
  GitServer s;
  s.RunAs("sgtest-git");
  s.Commit({{"README.md", "hi\n"}});
  // The web server's user created the store first, private to itself.
  REQUIRE(Sh("mkdir -m 0700 " + Quote(s.bare() + "/secretgate") + " && chown sgtest-www " +
             Quote(s.bare() + "/secretgate"))
              .code == 0);
  const std::string token = GithubToken(1005);
  s.Commit({{"ci.env", "TOKEN=" + token + "\n"}});
  auto r = s.Push();
  CheckRejectedUnrecorded(r, token);
  CHECK(Contains(r.err, "Permission denied"));
  CHECK(PendingFiles(s) == 1);
  // The log could not go into the other user's directory: it went beside the spool.
  const std::string log = ReadFileOrEmpty(s.bare() + "/secretgate-pending/secretgate.log");
  CHECK(Contains(log, "rule=github-pat-classic where=ci.env:1:7 "));
  CHECK(!Contains(log, token));

  // The admin hands the directory to the right user; the next push records the spooled secret.
  REQUIRE(Sh("chown -R sgtest-git " + Quote(s.bare() + "/secretgate")).code == 0);
  s.InWork("git reset -q --hard HEAD~1");
  s.Commit({{"clean.txt", "x\n"}});
  CHECK(s.Push().code == 0);
  json alerts = Alerts(s);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["locations"][0]["path"] == "ci.env");
}

TEST_CASE("recording failure: a store root created by root does not let the secret in") {
  if (!AmRoot()) {
    MESSAGE("needs root to create the OS user (CI runs as root)");
    return;
  }
  EnsureOsUser("sgtest-git");
  GitServer s;
  const std::string root = s.root() + "/alerts";
  s.SetConfig("store_root = '" + root + "'");
  s.RunAs("sgtest-git");
  REQUIRE(Sh("mkdir -m 0700 " + Quote(root)).code == 0);  // as root, as an admin would
  const std::string token = GithubToken(1006);
  s.Commit({{"x.env", "T=" + token + "\n"}});
  CheckRejectedUnrecorded(s.Push(), token);
  CHECK(PendingFiles(s) == 1);
}

TEST_CASE(
    "when neither the store nor the spool can take a finding, fail_mode=closed rejects a warn "
    "push") {
  if (!AmRoot()) {
    MESSAGE("needs root to create the OS users (CI runs as root)");
    return;
  }
  EnsureOsUser("sgtest-git");
  EnsureOsUser("sgtest-www");
  GitServer s;
  s.SetConfig("mode = 'warn'\nfail_mode = 'closed'");
  s.RunAs("sgtest-git");
  for (const char* d : {"/secretgate", "/secretgate-pending"}) {
    REQUIRE(
        Sh("mkdir -m 0700 " + Quote(s.bare() + d) + " && chown sgtest-www " + Quote(s.bare() + d))
            .code == 0);
  }
  s.Commit({{"x.env", "T=" + GithubToken(1007) + "\n"}});
  auto r = s.Push();
  CHECK(r.code != 0);
  CHECK(Contains(r.err, "could not be saved either"));
}
