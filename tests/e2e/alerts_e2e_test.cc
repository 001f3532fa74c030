// End to end: pushes become alerts; people triage them with the CLI; triage decides pushes.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "e2e/git_server.h"
#include "util/text.h"

using namespace sg::testing;
using nlohmann::json;

namespace {

json Alerts(const GitServer& s, const std::string& extra = "") {
  auto r = s.Sg("alerts list --repo " + Quote(s.bare()) + " --format json " + extra);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  return json::parse(r.out);
}

}  // namespace

TEST_CASE("a blocked push creates an open alert with its location") {
  GitServer s;
  std::string token = GithubToken(101);
  s.Commit({{"app/.env", "X=1\nTOKEN=" + token + "\n"}});
  std::string commit = s.Head();
  REQUIRE(s.Push().code != 0);
  json alerts = Alerts(s);
  REQUIRE(alerts.size() == 1);
  const json& a = alerts[0];
  CHECK(a["number"] == 1);
  CHECK(a["state"] == "open");
  CHECK(a["resolution"].is_null());
  CHECK(a["secret_type"] == "github-pat-classic");
  CHECK(a["secret_redacted"] == token.substr(0, 6) + "…(40 chars)");
  REQUIRE(a["locations"].size() == 1);
  CHECK(a["locations"][0]["path"] == "app/.env");
  CHECK(a["locations"][0]["start_line"] == 2);
  CHECK(a["locations"][0]["commit_sha"] == commit);
  CHECK(a["locations"][0]["ref"] == "refs/heads/main");
  CHECK(!a["locations"][0]["pushed_by"].is_null());
  CHECK(a["timeline"][0]["event"] == "created");
  // The plain secret is in no store file by default.
  auto grep = Sh("grep -rl " + Quote(token) + " secretgate/ || true", s.bare());
  CHECK(grep.out.empty());
}

TEST_CASE("closing an alert as a false positive lets the same secret through, and it stays resolved") {
  GitServer s;
  std::string token = GithubToken(102);
  s.Commit({{"a.env", "T=" + token + "\n"}});
  REQUIRE(s.Push().code != 0);
  auto close = s.Sg("alerts close 1 --reason false_positive --comment 'test fixture' --actor alice --repo " +
                    Quote(s.bare()));
  REQUIRE_MESSAGE(close.code == 0, close.err);
  CHECK(Contains(close.out, "resolved"));
  // The same secret in another file and commit.
  s.Commit({{"b.env", "T2=" + token + "\n"}});
  auto r = s.Push();
  CHECK(r.code == 0);
  json a = Alerts(s)[0];
  CHECK(a["state"] == "resolved");
  CHECK(a["resolution"] == "false_positive");
  CHECK(a["resolution_comment"] == "test fixture");
  CHECK(a["resolved_by"] == "alice");
  // a.env from the rejected push (the same location again in this push), then b.env.
  CHECK(a["locations"].size() == 2);
  CHECK(Alerts(s).size() == 1);
}

TEST_CASE("removing the secret from the code never closes its alert; reopening blocks again") {
  GitServer s;
  s.SetConfig("mode = 'warn'");
  std::string token = GithubToken(103);
  s.Commit({{"k.txt", token + "\n"}});
  REQUIRE(s.Push().code == 0);  // warn: accepted, recorded
  s.InWork("git rm -q k.txt && git commit -q -m 'remove key'");
  REQUIRE(s.Push().code == 0);
  CHECK(Alerts(s)[0]["state"] == "open");
  s.SetConfig("");
  REQUIRE(s.Sg("alerts close 1 --reason revoked --repo " + Quote(s.bare())).code == 0);
  s.Commit({{"again.txt", token + "\n"}});
  CHECK(s.Push().code == 0);
  auto reopen = s.Sg("alerts reopen 1 --comment 'not rotated after all' --repo " + Quote(s.bare()));
  REQUIRE(reopen.code == 0);
  s.Commit({{"third.txt", "again: " + token + "\n"}});
  CHECK(s.Push().code != 0);
  json a = Alerts(s)[0];
  CHECK(a["state"] == "open");
  std::vector<std::string> events;
  for (const auto& e : a["timeline"]) events.push_back(e["event"]);
  CHECK(std::find(events.begin(), events.end(), "resolved") != events.end());
  CHECK(std::find(events.begin(), events.end(), "reopened") != events.end());
}

TEST_CASE("alerts show, list filters and formats, and every CLI error path") {
  GitServer s;
  s.SetConfig("mode = 'audit'");
  s.Commit({{"a.txt", GithubToken(104) + "\n" + GithubToken(105) + "\n"}});
  REQUIRE(s.Push().code == 0);
  std::string repo = " --repo " + Quote(s.bare());
  auto show = s.Sg("alerts show 2" + repo);
  CHECK(show.code == 0);
  CHECK(Contains(show.out, "alert #2"));
  CHECK(Contains(show.out, "a.txt:2:1"));
  CHECK(Contains(show.out, "timeline:"));
  auto show_json = s.Sg("alerts show 1 --format json" + repo);
  CHECK(json::parse(show_json.out)["number"] == 1);
  auto table = s.Sg("alerts list" + repo);
  CHECK(Contains(table.out, "2 alerts"));
  auto csv = s.Sg("alerts list --format csv" + repo);
  CHECK(Contains(csv.out, "repository,number,state"));
  REQUIRE(s.Sg("alerts close 2 --reason wont_fix" + repo).code == 0);
  CHECK(Alerts(s, "--state open").size() == 1);
  CHECK(Alerts(s, "--state resolved").size() == 1);
  CHECK(Alerts(s, "--secret-type nope").empty());
  // From inside the repository, --repo is not needed.
  CHECK(Sh("export " + s.Env() + "; " + Quote(Binary()) + " alerts list", s.bare()).code == 0);

  std::string journal = s.bare() + "/secretgate/journal.jsonl";
  std::string before = ReadFileOrEmpty(journal);
  auto unknown = s.Sg("alerts close 99 --reason revoked" + repo);
  CHECK(unknown.code == 2);
  CHECK(Contains(unknown.err, "99"));
  auto bad_reason = s.Sg("alerts close 1 --reason because" + repo);
  CHECK(bad_reason.code == 2);
  CHECK(Contains(bad_reason.err, "because"));
  auto no_reason = s.Sg("alerts close 1" + repo);
  CHECK(no_reason.code == 2);
  auto closed_twice = s.Sg("alerts close 2 --reason revoked" + repo);
  CHECK(closed_twice.code == 2);
  auto reopen_open = s.Sg("alerts reopen 1" + repo);
  CHECK(reopen_open.code == 2);
  auto not_number = s.Sg("alerts show x1" + repo);
  CHECK(not_number.code == 2);
  auto bad_state = s.Sg("alerts list --state closed" + repo);
  CHECK(bad_state.code == 2);
  CHECK(ReadFileOrEmpty(journal) == before);
  auto no_repo = Sh(Quote(Binary()) + " alerts list", "/");
  CHECK(no_repo.code == 2);
  CHECK(Contains(no_repo.err, "not inside a git repository"));
}

TEST_CASE("a damaged store is detected by store verify, and writes refuse it") {
  GitServer s;
  s.SetConfig("mode = 'audit'");
  for (int i = 0; i < 3; ++i) {
    s.Commit({{"f" + std::to_string(i), GithubToken(110 + i) + "\n"}});
    REQUIRE(s.Push().code == 0);
  }
  std::string repo = " --repo " + Quote(s.bare());
  CHECK(s.Sg("store verify" + repo).code == 0);
  std::string journal = s.bare() + "/secretgate/journal.jsonl";
  std::string text = ReadFileOrEmpty(journal);
  // Edit a record by hand: a resolution nobody wrote.
  size_t at = text.find("\"type\":\"created\"");
  REQUIRE(at != std::string::npos);
  size_t second_line = text.find('\n') + 1;
  size_t eol = text.find('\n', second_line);
  std::string edited = text;
  size_t digit = edited.find("f0", second_line);
  if (digit != std::string::npos && digit < eol) edited[digit + 1] = '9';
  else edited[second_line + 5] ^= 1;
  WriteFile(journal, edited);
  auto verify = s.Sg("store verify" + repo);
  CHECK(verify.code == 2);
  CHECK(Contains(verify.out, "journal.jsonl:2"));
  auto close = s.Sg("alerts close 1 --reason revoked" + repo);
  CHECK(close.code == 2);
  CHECK(ReadFileOrEmpty(journal) == edited);
}

TEST_CASE("scan of a repository records alerts unless --no-store") {
  GitServer s;
  std::string token = GithubToken(120);
  s.Commit({{"x.txt", token + "\n"}});
  auto none = s.Sg("scan --no-store " + Quote(s.work()));
  CHECK(none.code == 1);
  CHECK(!PathExists(s.work() + "/.git/secretgate/journal.jsonl"));
  auto rec = s.Sg("scan --format json " + Quote(s.work()));
  CHECK(rec.code == 1);
  auto findings = json::parse(rec.out)["findings"];
  REQUIRE(findings.size() == 1);
  CHECK(findings[0]["path"] == "x.txt");
  CHECK(findings[0]["commit_sha"] == s.Head());
  CHECK(findings[0]["blob_sha"].is_string());
  auto listed = s.Sg("alerts list --format json --repo " + Quote(s.work()));
  CHECK(json::parse(listed.out).size() == 1);
}

TEST_CASE("16 simultaneous pushes carrying secrets lose and duplicate no alert") {
  GitServer s;
  s.Commit({{"base.txt", "base\n"}});
  REQUIRE(s.Push().code == 0);
  const int kPushers = 16;
  std::string shared = GithubToken(999);
  std::vector<std::string> clones;
  for (int i = 0; i < kPushers; ++i) {
    std::string dir = s.root() + "/c" + std::to_string(i);
    REQUIRE(Sh(s.Env() + " git clone -q " + Quote(s.bare()) + " " + Quote(dir), s.root()).code == 0);
    WriteFile(dir + "/secret.txt", GithubToken(200 + i) + "\n" + shared + "\n");
    REQUIRE(Sh(s.Env() + " git add -A && " + s.Env() + " git commit -q -m s", dir).code == 0);
    clones.push_back(dir);
  }
  std::vector<std::thread> threads;
  std::vector<int> codes(kPushers, -1);
  for (int i = 0; i < kPushers; ++i) {
    threads.emplace_back([&, i] {
      codes[i] = Sh(s.Env() + " git push -q origin HEAD:refs/heads/b" + std::to_string(i), clones[i]).code;
    });
  }
  for (auto& t : threads) t.join();
  for (int c : codes) CHECK(c != 0);  // all blocked
  json alerts = Alerts(s);
  CHECK(alerts.size() == kPushers + 1);
  std::set<int> numbers;
  for (const auto& a : alerts) numbers.insert(a["number"].get<int>());
  CHECK(numbers.size() == alerts.size());
  CHECK(*numbers.begin() == 1);
  CHECK(*numbers.rbegin() == kPushers + 1);
  int shared_locations = 0;
  for (const auto& a : alerts) {
    if (a["locations"].size() > 1) shared_locations = static_cast<int>(a["locations"].size());
  }
  CHECK(shared_locations == kPushers);
  CHECK(s.Sg("store verify --repo " + Quote(s.bare())).code == 0);
}

TEST_CASE("alerts list aligns columns by display width: ellipses and non-ASCII repository names") {
  GitServer s;
  const std::string other = s.root() + "/\xe4\xbb\x95\xe4\xba\x8b-cafe\xcc\x81.git";  // 仕事-café
  REQUIRE(Sh(s.Env() + " git init -q --bare " + Quote(other) + " && " + Quote(Binary()) +
             " protect --repo " + Quote(other) + " >/dev/null")
              .code == 0);
  s.Commit({{"a.env", "T=" + GithubToken(410) + "\n"}});
  REQUIRE(s.Push().code != 0);
  REQUIRE(s.InWork("git push " + Quote(other) + " HEAD:refs/heads/main").code != 0);
  auto r = s.Sg("alerts list --root " + Quote(s.root()));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = r.out.find('\n', at)) != std::string::npos; at = nl + 1) {
    lines.push_back(r.out.substr(at, nl - at));
  }
  REQUIRE(lines.size() == 4);  // header, two alerts, count
  CHECK(lines[3] == "2 alerts");
  auto column = [](const std::string& line, const std::string& needle) {
    size_t at = line.find(needle);
    REQUIRE_MESSAGE(at != std::string::npos, line);
    return sg::DisplayWidth(line.substr(0, at));
  };
  bool saw_other = false;
  for (size_t i = 1; i <= 2; ++i) {
    CAPTURE(lines[i]);
    saw_other = saw_other || Contains(lines[i], "cafe\xcc\x81.git");
    CHECK(Contains(lines[i], "…(40 chars)"));
    CHECK(column(lines[i], "open") == column(lines[0], "STATE"));
    CHECK(column(lines[i], "github-pat") == column(lines[0], "SECRET TYPE"));
    const size_t secret = lines[0].rfind("SECRET");  // the column after SECRET TYPE
    CHECK(column(lines[i], "ghp_") == sg::DisplayWidth(lines[0].substr(0, secret)));
    CHECK(column(lines[i], "a.env:1") == column(lines[0], "LOCATION"));
  }
  CHECK(saw_other);
}
