// End to end: `secretgate scan` as CI jobs and audits use it (issue 12 items 3-6): messages,
// ranges, baselines, SARIF and CSV, reports, progress.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "e2e/git_server.h"

using namespace sg::testing;
using nlohmann::json;

namespace {

// Where install.sh puts the SARIF 2.1.0 schema (from the npm package @microsoft/jest-sarif).
constexpr char kSarifSchema[] =
    "/usr/local/share/secretgate-test-deps/node_modules/@microsoft/jest-sarif/lib/schemas/"
    "sarif-2.1.0-rtm.5.json";

json Findings(const RunResult& r) {
  json doc = json::parse(r.out, nullptr, false);
  REQUIRE_MESSAGE(!doc.is_discarded(), (r.out + r.err));
  return doc["findings"];
}

// A commit with `files`, made at Unix time `when`.
void CommitAt(const GitServer& s, const std::map<std::string, std::string>& files, long when,
              const std::string& msg = "change") {
  for (const auto& [path, content] : files) WriteFile(s.work() + "/" + path, content);
  std::string date = "@" + std::to_string(when) + " +0000";
  auto r = s.InWork("git add -A && GIT_COMMITTER_DATE='" + date + "' git commit -q --date='" +
                    date + "' -m " + Quote(msg));
  REQUIRE_MESSAGE(r.code == 0, r.err);
}

}  // namespace

TEST_CASE(
    "scan of a repository finds secrets in commit and tag messages, typed as such, not as paths") {
  GitServer s;
  s.Commit({{"a.txt", "clean\n"}}, "deploy\n\nuse " + GithubToken(500) + " for the job");
  const std::string commit = s.Head();
  REQUIRE(s.InWork("git tag -a v1 -m 'release token " + GithubToken(501) + "'").code == 0);
  auto r = s.Sg("scan --format json " + Quote(s.work()));
  CHECK(r.code == 1);
  json f = Findings(r);
  REQUIRE(f.size() == 2);
  std::set<std::string> types;
  for (const auto& x : f) {
    types.insert(x["location_type"].get<std::string>());
    CHECK(x["path"].is_null());
    if (x["location_type"] == "commit_message") CHECK(x["commit_sha"] == commit);
  }
  CHECK(types == std::set<std::string>{"commit_message", "tag_message"});
  // The recorded alerts say the same: a type, and no placeholder path.
  auto list = s.Sg("alerts list --format json --repo " + Quote(s.work()));
  REQUIRE(list.code == 0);
  json alerts = json::parse(list.out);
  REQUIRE(alerts.size() == 2);
  for (const auto& a : alerts) {
    CHECK(a["locations"][0]["path"].is_null());
    CHECK(a["locations"][0]["type"] != "commit");
  }
  CHECK(!Contains(list.out, "(commit message)"));
}

TEST_CASE("--range, --branch and --since scan only what those commits add") {
  GitServer s;
  CommitAt(s, {{"one.env", "T=" + GithubToken(510) + "\n"}}, 1700000000);
  const std::string first = s.Head();
  CommitAt(s, {{"two.env", "T=" + GithubToken(511) + "\n"}}, 1700100000);
  CommitAt(s, {{"three.env", "T=" + GithubToken(512) + "\n"}}, 1700200000);
  REQUIRE(s.InWork("git branch side " + first).code == 0);
  auto paths = [&](const std::string& opts) {
    auto r = s.Sg("scan --no-store --format json " + opts + " " + Quote(s.work()));
    CHECK_MESSAGE(r.code <= 1, r.err);
    std::set<std::string> out;
    for (const auto& f : Findings(r)) out.insert(f["path"].get<std::string>());
    return out;
  };
  CHECK(paths("--range " + first + "..HEAD") == std::set<std::string>{"two.env", "three.env"});
  CHECK(paths("--branch side") == std::set<std::string>{"one.env"});
  CHECK(paths("--since @1700150000") == std::set<std::string>{"three.env"});
  CHECK(paths("--since 2023-11-15T22:13:20Z --branch HEAD") ==
        std::set<std::string>{"two.env", "three.env"});
  CHECK(paths("") == std::set<std::string>{"one.env", "two.env", "three.env"});
  // A placed finding names the commit that added it.
  auto r = s.Sg("scan --no-store --format json --range HEAD~1..HEAD " + Quote(s.work()));
  CHECK(Findings(r)[0]["commit_sha"] == s.Head());
  // Bad input is a clear error.
  auto bad = s.Sg("scan --no-store --range nothere..HEAD " + Quote(s.work()));
  CHECK(bad.code == 2);
  CHECK(Contains(bad.err, "--range 'nothere..HEAD' does not resolve"));
  CHECK(s.Sg("scan --since yesterday " + Quote(s.work())).code == 2);
  CHECK(s.Sg("scan --range a..b " + Quote(s.root())).code == 2);  // not a repository
}

TEST_CASE("a baseline file makes CI green, holds keyed hashes only, and new secrets still fail") {
  GitServer s;
  const std::string old_secret = GithubToken(520);
  WriteFile(s.root() + "/src/app.env", "T=" + old_secret + "\n");
  const std::string key = Quote(s.root() + "/baseline.key");
  const std::string dir = Quote(s.root() + "/src");
  const std::string base = s.root() + "/baseline.json";
  CHECK(s.Sg("scan " + dir).code == 1);
  auto w = s.Sg("scan --baseline-key " + key + " --write-baseline " + Quote(base) + " " + dir);
  CHECK(w.code == 1);  // writing a baseline does not accept what it writes in the same run
  const std::string text = ReadFileOrEmpty(base);
  CHECK(Contains(text, "\"fingerprint\""));
  CHECK(!Contains(text, old_secret));
  CHECK(!Contains(text, old_secret.substr(4, 20)));
  auto green = s.Sg("scan --baseline-key " + key + " --baseline " + Quote(base) + " " + dir);
  CHECK(green.code == 0);
  CHECK(Contains(green.out, "1 more in the baseline"));
  WriteFile(s.root() + "/src/new.env", "T=" + GithubToken(521) + "\n");
  auto red =
      s.Sg("scan --format json --baseline-key " + key + " --baseline " + Quote(base) + " " + dir);
  CHECK(red.code == 1);
  REQUIRE(Findings(red).size() == 1);
  CHECK(Findings(red)[0]["path"] == "new.env");
  // Another key cannot read it: an error, not "nothing matches".
  auto other = s.Sg("scan --baseline-key " + Quote(s.root() + "/other.key") + " --baseline " +
                    Quote(base) + " " + dir);
  CHECK(other.code == 2);
  REQUIRE(s.Sg("scan --baseline-key " + Quote(s.root() + "/other.key") + " --write-baseline " +
               Quote(s.root() + "/b2.json") + " " + dir)
              .code == 1);
  other = s.Sg("scan --baseline-key " + Quote(s.root() + "/other.key") + " --baseline " +
               Quote(base) + " " + dir);
  CHECK(other.code == 2);
  CHECK(Contains(other.err, "written with another baseline key"));
  // The key can come from the environment, as CI secrets do.
  auto env =
      Sh(s.Env() + " SECRETGATE_BASELINE_KEY=" + std::string(64, 'a') + " " + Quote(Binary()) +
         " scan --write-baseline " + Quote(s.root() + "/b3.json") + " " + dir);
  CHECK(env.code == 1);
  CHECK(Contains(ReadFileOrEmpty(s.root() + "/b3.json"), "key_id"));
}

TEST_CASE("a repository scan honours the store's resolved alerts by default") {
  GitServer s;
  s.Commit({{"conf/app.env", "T=" + GithubToken(530) + "\n"}});
  CHECK(s.Sg("scan " + Quote(s.work())).code == 1);  // records alert 1
  REQUIRE(s.Sg("alerts close 1 --reason used_in_tests --repo " + Quote(s.work())).code == 0);
  auto again = s.Sg("scan " + Quote(s.work()));
  CHECK(again.code == 0);
  CHECK(Contains(again.out, "1 more in the baseline"));
  CHECK(s.Sg("scan --no-store " + Quote(s.work())).code == 0);  // read without writing
  CHECK(s.Sg("scan --baseline none " + Quote(s.work())).code == 1);
}

TEST_CASE(
    "--format sarif is valid SARIF 2.1.0 against its JSON schema, with rules, locations and "
    "fingerprints") {
  REQUIRE_MESSAGE(PathExists(kSarifSchema),
                  "the SARIF schema is missing: run ./install.sh --deps-only (it installs the npm "
                  "package @microsoft/jest-sarif and python3-jsonschema)");
  GitServer s;
  s.Commit({{"deploy/ci.yml", "env:\n  GH: " + GithubToken(540) + "\n"}},
           "msg with " + GithubToken(541));
  const std::string sarif = s.root() + "/out.sarif";
  auto r = s.Sg("scan --no-store --format sarif --report " + Quote(sarif) + " " + Quote(s.work()));
  CHECK(r.code == 1);
  CHECK(Contains(r.out, "report written to"));
  auto v = Sh("python3 -c " +
              Quote("import json, sys, jsonschema\n"
                    "schema = json.load(open(sys.argv[1]))\n"
                    "doc = json.load(open(sys.argv[2]))\n"
                    "jsonschema.Draft4Validator(schema).validate(doc)\n"
                    "print('valid')\n") +
              " " + Quote(kSarifSchema) + " " + Quote(sarif));
  CHECK_MESSAGE(v.code == 0, v.err);
  CHECK(Contains(v.out, "valid"));
  json doc = json::parse(ReadFileOrEmpty(sarif));
  const json& run = doc["runs"][0];
  CHECK(run["tool"]["driver"]["rules"][0]["id"] == "github-pat-classic");
  CHECK(run["tool"]["driver"]["rules"][0]["help"]["text"].is_string());
  REQUIRE(run["results"].size() == 2);
  bool physical = false;
  for (const auto& res : run["results"]) {
    CHECK(res["partialFingerprints"]["secretgate/v1"].is_string());
    if (res["locations"][0].contains("physicalLocation")) {
      physical = true;
      CHECK(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "deploy/ci.yml");
      CHECK(res["locations"][0]["physicalLocation"]["region"]["startLine"] == 2);
    }
  }
  CHECK(physical);
  CHECK(!Contains(ReadFileOrEmpty(sarif), GithubToken(540)));
}

TEST_CASE("--format csv quotes fields and disarms spreadsheet formulas in paths") {
  GitServer s;
  WriteFile(s.root() + "/d/=HYPERLINK(1,2).env", "T=" + GithubToken(550) + "\n");
  auto r = s.Sg("scan --format csv " + Quote(s.root() + "/d"));
  CHECK(r.code == 1);
  CHECK(r.out.rfind("rule_id,secret_type_display_name,location_type,path,", 0) == 0);
  CHECK(Contains(r.out, ",\"'=HYPERLINK(1,2).env\","));
  CHECK(!Contains(r.out, GithubToken(550)));
}

TEST_CASE("a long scan shows a progress line on a terminal, and none in a pipe") {
  GitServer s;
  // A slow scan: a custom rule whose every candidate backtracks to PCRE2's match limit.
  std::string big;
  std::string failing = "k=";
  for (int i = 0; i < 20; ++i) failing += "ab";
  for (int i = 0; i < 900; ++i) big += std::string(1900, 'x') + "\n" + failing + "x\nk=abc\n";
  WriteFile(s.root() + "/d/big.txt", big);
  const std::string cmd = Quote(Binary()) + " scan --rules " +
                          Quote(SourceDir() + "/tests/data/rules/backtracking.toml") + " " +
                          Quote(s.root() + "/d");
  auto tty = Sh(s.Env() + " script -qec " + Quote(cmd) + " /dev/null");
  CHECK(Contains(tty.out, "secretgate: scanned"));
  auto pipe = s.Sg("scan --rules " + Quote(SourceDir() + "/tests/data/rules/backtracking.toml") +
                   " " + Quote(s.root() + "/d"));
  CHECK(!Contains(pipe.err, "secretgate: scanned"));
}

TEST_CASE("a rule edited after the caches were warmed applies to the next scan") {
  // A scan builds its engine from the rules cache while it checks that the rule files are
  // those the cache was written for: an edit (same size, so only the content and the times
  // differ) must not be missed, nor a cache whose database is gone or damaged.
  GitServer s;
  TempDir rules, cache;
  auto rule = [](const std::string& prefix) {
    std::string text =
        "[[rules]]\nid = \"P-token\"\nname = \"T\"\nprovider = \"p\"\nconfidence = \"high\"\n"
        "regex = '''\\b(P_[a-z]{12})\\b'''\nkeywords = [\"P_\"]\n"
        "references = [\"https://example.invalid\"]\nexamples = [\"P_abcdefghijkl\"]\n"
        "negative_examples = [\"P_ab\"]\n";
    for (size_t at; (at = text.find('P')) != std::string::npos;) text.replace(at, 1, prefix);
    return text;
  };
  WriteFile(rules / "r.toml", rule("zz"));
  s.SetConfig("rules = [" + Quote(rules.path()) + "]\ncache_dir = " + Quote(cache.path()) + "\n");
  WriteFile(s.root() + "/plain/a.txt", "one = zz_qwertyuiopas\ntwo = yy_qwertyuiopas\n");
  const std::string scan = "scan --no-store --format json " + Quote(s.root() + "/plain");
  auto ids = [&](const RunResult& r) {
    std::set<std::string> out;
    for (const auto& f : Findings(r)) out.insert(f["rule_id"].get<std::string>());
    return out;
  };
  for (int warm = 0; warm < 2; ++warm) {
    auto r = s.Sg(scan);
    CHECK(r.code == 1);
    CHECK(ids(r) == std::set<std::string>{"zz-token"});
  }
  WriteFile(rules / "r.toml", rule("yy"));
  REQUIRE(Sh("touch -d '2001-02-03 04:05:06' " + Quote(rules / "r.toml")).code == 0);
  auto edited = s.Sg(scan);
  CHECK(edited.code == 1);
  CHECK(ids(edited) == std::set<std::string>{"yy-token"});
  CHECK(ids(s.Sg(scan)) == std::set<std::string>{"yy-token"});

  // The rules cache without its compiled database, then a damaged rules cache.
  REQUIRE(Sh("rm -f " + Quote(cache.path()) + "/hs-*.db").code == 0);
  CHECK(ids(s.Sg(scan)) == std::set<std::string>{"yy-token"});
  REQUIRE(Sh("for f in " + Quote(cache.path()) +
             "/rules-*.bin; do printf 'damage' | "
             "dd of=\"$f\" bs=1 seek=40 conv=notrunc 2>/dev/null; done")
              .code == 0);
  auto damaged = s.Sg(scan);
  CHECK(ids(damaged) == std::set<std::string>{"yy-token"});
  CHECK(Contains(damaged.err, "damaged rules cache"));
  CHECK(ids(s.Sg(scan)) == std::set<std::string>{"yy-token"});
}
