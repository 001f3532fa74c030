// End to end: modes, bypass, identities, suppression, time budget, GitLab output.
#include <doctest/doctest.h>

#include <chrono>
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

}  // namespace

TEST_CASE("global modes: block rejects, warn accepts with a warning, audit accepts silently") {
  for (std::string mode : {"block", "warn", "audit"}) {
    CAPTURE(mode);
    GitServer s;
    s.SetConfig("mode = '" + mode + "'");
    s.Commit({{"a.env", "T=" + GithubToken(300) + "\n"}});
    auto r = s.Push();
    CHECK((r.code != 0) == (mode == "block"));
    CHECK(Contains(r.err, "secretgate: warning") == (mode == "warn"));
    if (mode == "audit") CHECK(!Contains(r.err, "secretgate"));
    CHECK(Alerts(s).size() == 1);  // recorded in every mode
  }
}

TEST_CASE("a repository's git config overrides the global mode") {
  GitServer s;
  s.SetConfig("mode = 'block'");
  REQUIRE(s.InBare("git config secretgate.mode warn").code == 0);
  s.Commit({{"a.env", "T=" + GithubToken(301) + "\n"}});
  auto r = s.Push();
  CHECK(r.code == 0);
  CHECK(Contains(r.err, "secretgate: warning"));
  REQUIRE(s.InBare("git config secretgate.mode bogus").code == 0);
  s.Commit({{"b.txt", "x\n"}});
  auto bad = s.Push();
  CHECK(Contains(bad.err, "git config secretgate.mode"));
}

TEST_CASE("a per-rule mode warns while the repository blocks") {
  GitServer s;
  s.SetConfig("mode = 'block'\n[rule_modes]\ngithub-pat-classic = 'warn'");
  s.Commit({{"a.env", "T=" + GithubToken(302) + "\n"}});
  auto r = s.Push();
  CHECK(r.code == 0);
  CHECK(Contains(r.err, "secretgate: warning"));
  GitServer g;
  REQUIRE(g.InBare("git config secretgate.ruleMode github-pat-classic=audit").code == 0);
  g.Commit({{"a.env", "T=" + GithubToken(303) + "\n"}});
  auto q = g.Push();
  CHECK(q.code == 0);
  CHECK(!Contains(q.err, "secretgate"));
}

TEST_CASE("bypass: refused when not allowed, refused for an unknown reason, granted with effects") {
  GitServer s;
  std::string t1 = GithubToken(310);
  s.Commit({{"a.env", "T=" + t1 + "\n"}});
  auto denied = s.Push("HEAD:refs/heads/main", "-o secretgate.bypass=false_positive");
  CHECK(denied.code != 0);
  CHECK(Contains(denied.err, "bypassing is not allowed"));
  CHECK(!Contains(denied.err, "git push -o secretgate.bypass"));  // no hint when not allowed

  REQUIRE(s.InBare("git config secretgate.allowBypass true").code == 0);
  auto hint = s.Push();
  CHECK(Contains(hint.err, "git push -o secretgate.bypass="));
  auto unknown = s.Push("HEAD:refs/heads/main", "-o secretgate.bypass=because");
  CHECK(unknown.code != 0);
  CHECK(Contains(unknown.err, "unknown reason 'because'"));

  auto ok = s.Push("HEAD:refs/heads/main",
                   "-o secretgate.bypass=false_positive -o 'secretgate.comment=fixture data'");
  CHECK(ok.code == 0);
  json a = Alerts(s)[0];
  CHECK(a["state"] == "resolved");
  CHECK(a["resolution"] == "false_positive");
  CHECK(a["push_protection_bypassed"] == true);
  CHECK(!a["push_protection_bypassed_by"].is_null());
  bool bypass_event = false;
  for (const auto& e : a["timeline"]) {
    if (e["event"] == "push_protection_bypassed") bypass_event = e["comment"] == "fixture data";
  }
  CHECK(bypass_event);
  CHECK(Contains(s.log(), "bypass_requested push_id="));
}

TEST_CASE("bypass reasons used_in_tests resolves and will_fix_later leaves the alert open") {
  GitServer s;
  s.SetConfig("allow_bypass = true");
  s.Commit({{"a.env", "T=" + GithubToken(311) + "\n"}});
  CHECK(s.Push("HEAD:refs/heads/main", "-o secretgate.bypass=used_in_tests").code == 0);
  s.Commit({{"b.env", "T=" + GithubToken(312) + "\n"}});
  CHECK(s.Push("HEAD:refs/heads/main", "-o secretgate.bypass=will_fix_later").code == 0);
  json alerts = Alerts(s);
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0]["resolution"] == "used_in_tests");
  CHECK(alerts[1]["state"] == "open");
  CHECK(alerts[1]["push_protection_bypassed"] == true);
}

TEST_CASE("bypass limited to listed users") {
  GitServer s;
  s.SetConfig("allow_bypass = true\nbypass_users = ['lead']");
  s.Commit({{"a.env", "T=" + GithubToken(313) + "\n"}});
  auto other = s.InWork(
      "GL_USERNAME=intern git push -o secretgate.bypass=false_positive origin "
      "HEAD:refs/heads/main");
  CHECK(other.code != 0);
  CHECK(Contains(other.err, "not allowed to bypass"));
  auto lead = s.InWork(
      "GL_USERNAME=lead git push -o secretgate.bypass=false_positive origin HEAD:refs/heads/main");
  CHECK(lead.code == 0);
  CHECK(Alerts(s)[0]["push_protection_bypassed_by"] == "lead");
}

TEST_CASE("the pusher's identity comes from each server's environment") {
  struct Source {
    std::string env, expect;
  };
  std::vector<Source> sources = {{"GL_USERNAME=gl-user GL_ID=user-7", "gl-user"},
                                 {"GL_ID=user-7", "user-7"},
                                 {"GITEA_PUSHER_NAME=gitea-user", "gitea-user"},
                                 {"GITHUB_USER_LOGIN=ghe-user", "ghe-user"},
                                 {"GL_USER=gitolite-user", "gitolite-user"},
                                 {"REMOTE_USER=http-user", "http-user"},
                                 {"", Sh("id -un").out.substr(0, Sh("id -un").out.size() - 1)}};
  GitServer s;
  s.SetConfig("mode = 'audit'");
  unsigned seed = 320;
  for (const auto& src : sources) {
    CAPTURE(src.env);
    std::string token = GithubToken(seed++);
    s.Commit({{"f" + std::to_string(seed), token + "\n"}});
    REQUIRE(s.InWork(src.env + " git push -q origin HEAD:refs/heads/main").code == 0);
    json alerts = Alerts(s);
    CHECK(alerts.back()["locations"][0]["pushed_by"] == src.expect);
  }
}

TEST_CASE("each inline marker suppresses a finding, and the suppression is logged") {
  for (std::string marker :
       {"# secretgate:allow", "# gitleaks:allow", "# pragma: allowlist secret"}) {
    CAPTURE(marker);
    GitServer s;
    s.Commit({{"a.py", "TOKEN = '" + GithubToken(330) + "'  " + marker + "\n"}});
    CHECK(s.Push().code == 0);
    CHECK(Contains(s.log(), "finding_suppressed push_id="));
    CHECK(Contains(s.log(), " rule=github-pat-classic where=a.py:1:10 "));
    CHECK(Alerts(s).empty());
  }
}

TEST_CASE("a config path exclusion suppresses findings under it") {
  GitServer s;
  s.SetConfig("exclude_paths = ['testdata/**', '*.fixture']");
  s.Commit({{"testdata/deep/creds.txt", GithubToken(340) + "\n"},
            {"x.fixture", GithubToken(341) + "\n"}});
  CHECK(s.Push().code == 0);
  CHECK(Contains(s.log(), "path exclusion 'testdata/**'"));
  s.Commit({{"src/creds.txt", GithubToken(342) + "\n"}});
  CHECK(s.Push().code != 0);
}

TEST_CASE(
    "an exclusion added in the same push is not honoured; one an exclusions editor put on the "
    "default branch is") {
  GitServer s;
  s.SetConfig("exclusions_editors = ['lead']");
  s.Commit({{"README", "x\n"}});
  REQUIRE(s.Push().code == 0);
  s.Commit({{".secretgate-exclusions", "# fixtures\nfixtures/**\n"},
            {"fixtures/key.txt", GithubToken(350) + "\n"}});
  auto same_push = s.Push("HEAD:refs/heads/main", "");
  CHECK(same_push.code != 0);
  // The editor lands the exclusions file alone on the default branch, then the fixture comes.
  s.InWork("git reset -q --hard HEAD~1");
  s.Commit({{".secretgate-exclusions", "fixtures/**\n"}});
  REQUIRE(s.InWork("REMOTE_USER=lead git push -q origin HEAD:refs/heads/main").code == 0);
  s.Commit({{"fixtures/key.txt", GithubToken(350) + "\n"}});
  auto later = s.Push("HEAD:refs/heads/topic");
  CHECK(later.code == 0);
  CHECK(Contains(s.log(), "path exclusion 'fixtures/**'"));
  CHECK(Contains(s.log(), "suppressed=1"));
}

TEST_CASE(
    "exclusions cannot be self-granted in two steps: a glob a non-editor adds is not honoured") {
  GitServer s;
  s.SetConfig("exclusions_editors = ['lead']");
  s.Commit({{"README", "x\n"}});
  REQUIRE(s.Push().code == 0);
  // Step one: a clean push that exempts s_*.env, by someone who may not edit exclusions.
  s.Commit({{".secretgate-exclusions", "s_*.env\n"}});
  auto step1 = s.Push();
  CHECK(step1.code == 0);
  CHECK(Contains(step1.err, "is not honoured: only exclusions editors"));
  // Step two: secrets in s_x.env, to any branch: still rejected, and recorded.
  s.Commit({{"s_x.env", "T=" + GithubToken(351) + "\n"}});
  auto step2 = s.Push("HEAD:refs/heads/side");
  CHECK(step2.code != 0);
  CHECK(Contains(step2.err, "s_x.env:1:3"));
  CHECK(Contains(s.log(), "was not pushed by an exclusions editor: it is not honoured"));
  // With no editor at all (the default: bypass_users, empty), nobody can grant it either.
  GitServer t;
  t.Commit({{"README", "x\n"}});
  REQUIRE(t.Push().code == 0);
  t.Commit({{".secretgate-exclusions", "s_*.env\n"}});
  REQUIRE(t.Push().code == 0);
  t.Commit({{"s_x.env", "T=" + GithubToken(352) + "\n"}});
  CHECK(t.Push("HEAD:refs/heads/side").code != 0);
}

TEST_CASE("an exclusions file present when secretgate first reads the repository is trusted") {
  GitServer s(/*protect=*/false);
  s.Commit({{".secretgate-exclusions", "vendor/**\n"}, {"README", "x\n"}});
  REQUIRE(s.Push().code == 0);
  REQUIRE(s.Sg("protect --repo " + Quote(s.bare())).code == 0);
  s.Commit({{"vendor/key.txt", GithubToken(353) + "\n"}});
  CHECK(s.Push().code == 0);
  CHECK(Contains(s.log(), "path exclusion 'vendor/**'"));
}

TEST_CASE(
    "a deadline hit accepts and queues the rest; drain records the alert; reject mode rejects") {
  GitServer s;
  s.SetConfig("timeout = 0.000001");
  std::map<std::string, std::string> files;
  for (int i = 0; i < 40; ++i) files["f" + std::to_string(i)] = "data " + std::to_string(i) + "\n";
  files["f39"] = GithubToken(360) + "\n";
  s.Commit(files);
  auto r = s.Push();
  CHECK(r.code == 0);
  CHECK(Contains(s.log(), "scan_deadline push_id="));
  // The pusher is told that part of the push is scanned later.
  CHECK(Contains(r.err, "object(s) of this push will be scanned after it"));
  // Drain as cron would (the post-receive hook also starts one in the background).
  auto d = s.Sg("drain --repo " + Quote(s.bare()));
  CHECK(d.code == 0);
  json alerts = Alerts(s);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["locations"][0]["path"] == "f39");
  CHECK(Sh("ls secretgate/debt/*.json 2>/dev/null | wc -l", s.bare()).out == "0\n");

  s.SetConfig("timeout = 0.000001\non_timeout = 'reject'");
  s.Commit({{"g.txt", "clean\n"}});
  auto rej = s.Push();
  CHECK(rej.code != 0);
  CHECK(Contains(rej.err, "did not finish within"));
}

TEST_CASE("drain --root drains every queued repository under a folder, as the drain timer does") {
  GitServer s;
  // No post-receive hook: only the --root run may drain the queue.
  REQUIRE(Sh("rm hooks/post-receive", s.bare()).code == 0);
  s.SetConfig("timeout = 0.000001");
  s.Commit({{"k.txt", GithubToken(362) + "\n"}});
  REQUIRE(s.Push().code == 0);
  REQUIRE(Sh("ls secretgate/debt/*.json | wc -l", s.bare()).out == "1\n");
  auto d = s.Sg("drain --root " + Quote(s.root()));
  CHECK_MESSAGE(d.code == 0, d.err);
  CHECK(d.out == "drained 1 scan-debt entry in 1 repository\n");
  CHECK(Alerts(s).size() == 1);
  CHECK(Sh("ls secretgate/debt/*.json 2>/dev/null | wc -l", s.bare()).out == "0\n");
  // Nothing left: a second run finds no queued repository.
  CHECK(s.Sg("drain --root " + Quote(s.root())).out ==
        "drained 0 scan-debt entries in 0 repositories\n");
}

TEST_CASE("drain names a missing --root, a --root given with --repo, and a stray argument") {
  GitServer s;
  auto missing = s.Sg("drain --root " + Quote(s.root() + "/nope"));
  CHECK(missing.code == 2);
  CHECK(Contains(missing.err, s.root() + "/nope: not a directory"));
  auto both = s.Sg("drain --root " + Quote(s.root()) + " --repo " + Quote(s.bare()));
  CHECK(both.code == 2);
  CHECK(Contains(both.err, "give --repo or --root, not both"));
  auto stray = s.Sg("drain now");
  CHECK(stray.code == 2);
  CHECK(Contains(stray.err, "'now'"));
}

TEST_CASE("the post-receive hook drains the scan debt in the background") {
  GitServer s;
  s.SetConfig("timeout = 0.000001");
  s.Commit({{"k.txt", GithubToken(361) + "\n"}});
  REQUIRE(s.Push().code == 0);
  bool drained = false;
  for (int i = 0; i < 100 && !drained; ++i) {
    drained = Alerts(s).size() == 1;
    if (!drained) Sh("sleep 0.1");
  }
  CHECK(drained);
}

TEST_CASE("under GitLab every line of the message carries the GL-HOOK-ERR prefix") {
  GitServer s;
  s.Commit({{"a.env", "T=" + GithubToken(370) + "\n"}});
  auto r = s.InWork("GL_ID=user-1 GL_USERNAME=dev git push origin HEAD:refs/heads/main");
  CHECK(r.code != 0);
  CHECK(Contains(r.err, "remote: GL-HOOK-ERR: secretgate: push rejected"));
  CHECK(Contains(r.err, "remote: GL-HOOK-ERR:   2. Rotate the credential"));
}

TEST_CASE(
    "a 9 MB blob against a backtracking custom rule stops at the 4 s deadline, counts what it gave "
    "up and queues the blob") {
  // Issue 10 item 9: the deadline was checked only between blobs, so one blob whose thousands
  // of candidates each ran PCRE2 to its match limit held the hook far past the timeout, and
  // the candidates given up at the limit were dropped without a count.
  GitServer s;
  s.SetConfig("rules = ['" + SourceDir() + "/tests/data/rules/backtracking.toml']\ntimeout = 4");
  std::string filler;
  while (filler.size() < 1900) filler += "lorem ipsum dolor sit amet ";
  filler += "\n";
  std::string big;
  while (big.size() < 9'000'000) {
    big += filler;
    big += "k=";
    for (int i = 0; i < 20; ++i) big += "ab";
    big += "x\nk=abc\n";  // a real match next to a failing one: PCRE2 backtracks over the latter
  }
  s.Commit({{"big.txt", big}});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = s.Push();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(r.code == 0);       // on_timeout = accept: the blob is queued, not let in unscanned
  CHECK(secs < 4.0 + 4.0);  // bounded by the deadline (before: minutes)
  const std::string log = s.log();
  CHECK(Contains(log, "deadline reached inside object"));
  CHECK(Contains(log, "scan_deadline push_id="));
  CHECK_FALSE(Contains(log, "given_up_match_limit=0 "));
  CHECK_FALSE(Contains(log, "given_up_deadline=0 "));
  CHECK(Contains(r.err, "could not be checked to the end"));
}

TEST_CASE("by default a medium-confidence finding warns, is recorded, and pusher and log say why") {
  GitServer s;
  s.Commit({{"client.js", "const session = '" + Jwt(400) + "';\n"}});
  auto r = s.Push();
  CHECK(r.code == 0);
  CHECK(Contains(r.err, "secretgate: warning: 1 possible secret found in this push"));
  CHECK(Contains(r.err, "less confident than block_confidence = high"));
  CHECK(Contains(r.err, "(json-web-token, medium confidence)"));
  json alerts = Alerts(s);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["secret_type"] == "json-web-token");
  CHECK(
      Contains(s.log(), "medium confidence is below block_confidence=high: warning, not blocking"));
  CHECK(Contains(s.log(), "below_block_confidence=1 decision=accepted"));
}

TEST_CASE(
    "block_confidence = medium blocks a medium finding; a repository's git config overrides it") {
  GitServer s;
  s.SetConfig("block_confidence = 'medium'");
  s.Commit({{"client.js", "const session = '" + Jwt(401) + "';\n"}});
  auto blocked = s.Push();
  CHECK(blocked.code != 0);
  CHECK(Contains(blocked.err, "push rejected: 1 secret found"));
  REQUIRE(s.InBare("git config secretgate.blockConfidence high").code == 0);
  auto warned = s.Push();
  CHECK(warned.code == 0);
  CHECK(Contains(warned.err, "block_confidence = high"));
}

TEST_CASE("a high finding blocks while a medium one in the same push only warns") {
  GitServer s;
  s.Commit({{"a.env", "T=" + GithubToken(402) + "\nS=" + Jwt(402) + "\n"}});
  auto r = s.Push();
  CHECK(r.code != 0);
  CHECK(Contains(r.err, "push rejected: 1 secret found"));
  CHECK(Contains(r.err, "(github-pat-classic)"));
  CHECK(Contains(r.err, "warning: 1 possible secret found"));
  CHECK(Alerts(s).size() == 2);
}

TEST_CASE("an explicit per-rule mode blocks a medium rule whatever block_confidence says") {
  GitServer s;
  s.SetConfig("[rule_modes]\njson-web-token = 'block'");
  s.Commit({{"client.js", "const session = '" + Jwt(403) + "';\n"}});
  auto r = s.Push();
  CHECK(r.code != 0);
  CHECK(Contains(r.err, "push rejected"));
}
