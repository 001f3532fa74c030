// End to end: one secret in several repositories (issue 12, item 7): `alerts list --root` marks
// its alerts multi_repo, through keyed hashes only (cross_repo_key, or a server-wide store root).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/git_server.h"

using namespace sg::testing;
using nlohmann::json;

namespace {

// A second bare repository beside the server's, protected the same way, that the work tree
// pushes to as well.
std::string AddSecondRepository(const GitServer& s) {
  const std::string second = s.root() + "/second.git";
  REQUIRE(Sh("git init -q --bare " + Quote(second)).code == 0);
  auto p = s.Sg("protect --repo " + Quote(second));
  REQUIRE_MESSAGE(p.code == 0, p.err);
  return second;
}

RunResult PushTo(const GitServer& s, const std::string& bare) {
  return s.InWork("git push -q " + Quote(bare) + " HEAD:refs/heads/main");
}

// The listing of every store under the server's folder, by repository and secret type.
json ListRoot(const GitServer& s, const std::string& extra = "") {
  auto r = s.Sg("alerts list --format json --root " + Quote(s.root()) + extra);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  return json::parse(r.out);
}

// multi_repo of the alert of `repository` whose redacted secret starts like `token`.
bool MultiRepo(const json& alerts, const std::string& repository, const std::string& token) {
  for (const auto& a : alerts) {
    if (a["repository"] == repository &&
        a["secret_redacted"].get<std::string>().substr(0, 4) == token.substr(0, 4)) {
      return a["multi_repo"].get<bool>();
    }
  }
  FAIL("no alert of " << repository << " for " << token.substr(0, 4));
  return false;
}

std::string JournalsOf(const GitServer& s, const std::string& second) {
  return ReadFileOrEmpty(s.bare() + "/secretgate/journal.jsonl") +
         ReadFileOrEmpty(second + "/secretgate/journal.jsonl");
}

}  // namespace

TEST_CASE(
    "with cross_repo_key, the same secret pushed to two repositories is multi_repo in both, a "
    "secret in one is not") {
  GitServer s;
  const std::string key = s.root() + "/cross.key";
  s.SetConfig("mode = 'warn'\ncross_repo_key = '" + key + "'");
  const std::string second = AddSecondRepository(s);
  const std::string shared = GithubToken(7101),
                    only = "glpat-" + std::string("Zq4xT9vKm2Lp8RwN3yHb");
  s.Commit({{"shared.env", "TOKEN=" + shared + "\n"}});
  REQUIRE(s.Push().code == 0);
  REQUIRE(PushTo(s, second).code == 0);
  s.Commit({{"only.env", "GITLAB=" + only + "\n"}});
  REQUIRE(s.Push().code == 0);  // to the first repository only

  const json alerts = ListRoot(s);
  REQUIRE(alerts.size() == 3);
  CHECK(MultiRepo(alerts, s.bare(), shared));
  CHECK(MultiRepo(alerts, second, shared));
  CHECK_FALSE(MultiRepo(alerts, s.bare(), only));

  // The key: 32 bytes, private to the hook's user; the journals hold hashes, never the secret.
  struct stat st;
  REQUIRE(::stat(key.c_str(), &st) == 0);
  CHECK(st.st_size == 32);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string journals = JournalsOf(s, second);
  CHECK(Contains(journals, "\"cross_fingerprint\""));
  CHECK_FALSE(Contains(journals, shared));

  // Whether a secret is elsewhere too does not depend on the filter: with the second
  // repository's alert resolved, the first one's still says so.
  auto close = s.Sg("alerts close 1 --reason revoked --repo " + Quote(second));
  REQUIRE_MESSAGE(close.code == 0, close.err);
  const json open = ListRoot(s, " --state open");
  REQUIRE(open.size() == 2);
  CHECK(MultiRepo(open, s.bare(), shared));

  // The table and the CSV say it too.
  auto table = s.Sg("alerts list --root " + Quote(s.root()));
  CHECK(Contains(table.out, "[in other repositories too]"));
  auto csv = s.Sg("alerts list --format csv --root " + Quote(s.root()));
  CHECK(Contains(csv.out, ",multi_repo\n"));
  CHECK(Contains(csv.out, ",true\n"));
  CHECK(Contains(csv.out, ",false\n"));
}

TEST_CASE(
    "without cross_repo_key, per-repository stores cannot compare secrets: never multi_repo") {
  GitServer s;
  s.SetConfig("mode = 'warn'");
  const std::string second = AddSecondRepository(s);
  const std::string shared = GithubToken(7102);
  s.Commit({{"shared.env", "TOKEN=" + shared + "\n"}});
  REQUIRE(s.Push().code == 0);
  REQUIRE(PushTo(s, second).code == 0);
  const json alerts = ListRoot(s);
  REQUIRE(alerts.size() == 2);
  CHECK_FALSE(MultiRepo(alerts, s.bare(), shared));
  CHECK_FALSE(MultiRepo(alerts, second, shared));
  CHECK_FALSE(Contains(JournalsOf(s, second), "cross_fingerprint"));
}

TEST_CASE("a server-wide store_root compares secrets across its repositories without a key") {
  GitServer s;
  const std::string root = s.root() + "/alerts";
  s.SetConfig("mode = 'warn'\nstore_root = '" + root + "'");
  const std::string second = AddSecondRepository(s);
  const std::string shared = GithubToken(7103);
  s.Commit({{"shared.env", "TOKEN=" + shared + "\n"}});
  REQUIRE(s.Push().code == 0);
  REQUIRE(PushTo(s, second).code == 0);
  auto r = s.Sg("alerts list --format json --root " + Quote(root));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const json alerts = json::parse(r.out);
  REQUIRE(alerts.size() == 2);
  for (const auto& a : alerts) CHECK(a["multi_repo"] == true);
}

TEST_CASE(
    "an alert recorded before cross_repo_key was set gets its cross hash when its secret is seen "
    "again") {
  GitServer s;
  s.SetConfig("mode = 'warn'");
  const std::string second = AddSecondRepository(s);
  const std::string shared = GithubToken(7104);
  s.Commit({{"shared.env", "TOKEN=" + shared + "\n"}});
  REQUIRE(s.Push().code == 0);  // the first repository: no key yet
  s.SetConfig("mode = 'warn'\ncross_repo_key = '" + s.root() + "/cross.key'");
  REQUIRE(PushTo(s, second).code == 0);
  CHECK_FALSE(MultiRepo(ListRoot(s), s.bare(), shared));
  s.Commit({{"copy.env", "AGAIN=" + shared + "\n"}});  // a new location of the old alert
  REQUIRE(s.Push().code == 0);
  const json alerts = ListRoot(s);
  CHECK(MultiRepo(alerts, s.bare(), shared));
  CHECK(MultiRepo(alerts, second, shared));
}

TEST_CASE("a cross_repo_key that cannot be read costs only the comparison: the push is recorded") {
  GitServer s;
  const std::string key = s.root() + "/cross.key";
  WriteFile(key, "too short");
  s.SetConfig("cross_repo_key = '" + key + "'");
  s.Commit({{"a.env", "TOKEN=" + GithubToken(7105) + "\n"}});
  auto r = s.Push();
  CHECK(r.code != 0);  // blocked as usual
  CHECK(Contains(s.log(), "cross_repo_key"));
  CHECK(Contains(s.log(), "must be exactly 32 bytes"));
  auto list = s.Sg("alerts list --format json --repo " + Quote(s.bare()));
  REQUIRE(list.code == 0);
  CHECK(json::parse(list.out).size() == 1);
}
