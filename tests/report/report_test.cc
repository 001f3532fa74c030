#include "report/report.h"

#include <doctest/doctest.h>

#include "helpers.h"

using namespace sg;
using sg::testing::Contains;

namespace {
rules::Rule TestRule() {
  rules::Rule r;
  r.id = "test-token";
  r.name = "Test token";
  return r;
}
}  // namespace

TEST_CASE("the pusher's message redacts the secret, escapes the path and counts the rest") {
  rules::Rule rule = TestRule();
  std::vector<inspect::Detection> ds(7);
  std::vector<const inspect::Detection*> ptrs;
  for (size_t i = 0; i < ds.size(); ++i) {
    ds[i].finding.rule = &rule;
    ds[i].finding.secret = "tok_SECRETSECRETSECRET" + std::to_string(i);
    ds[i].finding.start_line = 3;
    ds[i].finding.start_column = 9;
    ds[i].origins.push_back({std::string(40, 'a'), "dir/evil\x1b[2Jname", "refs/heads/x"});
    ptrs.push_back(&ds[i]);
  }
  report::PusherOptions o;
  std::string msg = report::PusherMessage(ptrs, o);
  CHECK(msg.find("SECRETSECRET") == std::string::npos);
  CHECK(msg.find("tok_S…(23 chars)") != std::string::npos);
  CHECK(msg.find("dir/evil\\x1b[2Jname:3:9") != std::string::npos);
  CHECK(msg.find("\x1b") == std::string::npos);
  CHECK(msg.find("[5]") != std::string::npos);
  CHECK(msg.find("[6]") == std::string::npos);
  CHECK(msg.find("and 2 more") != std::string::npos);
  CHECK(msg.find("git rebase -i " + std::string(40, 'a') + "~1") != std::string::npos);
  o.tips = {std::string(40, 'a')};
  o.gitlab = true;
  std::string gl = report::PusherMessage(ptrs, o);
  CHECK(gl.find("git commit --amend") != std::string::npos);
  size_t lines = 0, prefixed = 0;
  for (size_t at = 0; at < gl.size();) {
    size_t nl = gl.find('\n', at);
    ++lines;
    if (gl.compare(at, 13, "GL-HOOK-ERR: ") == 0) ++prefixed;
    at = nl + 1;
  }
  CHECK(lines == prefixed);
}

TEST_CASE("scan JSON has the documented shape with null commit and blob outside git") {
  rules::Rule rule = TestRule();
  inspect::Detection d;
  d.finding.rule = &rule;
  d.finding.secret = "tok_abcdefabcdefabcdef";
  d.finding.start_line = d.finding.end_line = 1;
  d.finding.start_column = 1;
  d.finding.end_column = 21;
  d.origins.push_back({"", "a.txt", ""});
  std::string json = report::ScanJson({&d});
  for (const char* key : {"\"rule_id\"", "\"secret_type_display_name\"", "\"path\"", "\"start_line\"",
                          "\"end_line\"", "\"start_column\"", "\"end_column\"", "\"commit_sha\": null",
                          "\"blob_sha\": null", "\"secret_redacted\""}) {
    CHECK(json.find(key) != std::string::npos);
  }
  CHECK(json.find("abcdefabcdef") == std::string::npos);
}

TEST_CASE("scan text reports a secret once with its count of further locations, unless asked") {
  rules::Rule rule = TestRule();
  std::vector<inspect::Detection> ds(4);
  std::vector<const inspect::Detection*> ptrs;
  for (size_t i = 0; i < ds.size(); ++i) {
    ds[i].finding.rule = &rule;
    ds[i].finding.secret = i < 3 ? "tok_samesamesamesame" : "tok_otherotherother1";
    ds[i].finding.start_line = static_cast<int>(i + 1);
    ds[i].finding.start_column = 1;
    ds[i].origins.push_back({"", "v" + std::to_string(i) + "/fixture.c", ""});
    ptrs.push_back(&ds[i]);
  }
  std::string once = report::ScanText(ptrs);
  CHECK(Contains(once, "v0/fixture.c:1:1: test-token"));
  CHECK(Contains(once, "(and 2 more locations)"));
  CHECK(!Contains(once, "v1/fixture.c"));
  CHECK(Contains(once, "v3/fixture.c:4:1"));
  CHECK(Contains(once, "4 findings of 2 secrets"));
  std::string all = report::ScanText(ptrs, true);
  CHECK(Contains(all, "v1/fixture.c:2:1"));
  CHECK(!Contains(all, "more location"));
}

TEST_CASE("a warning below block_confidence says why it does not block and shows the confidence") {
  rules::Rule rule = TestRule();
  rule.confidence = rules::Confidence::kMedium;
  inspect::Detection d;
  d.finding.rule = &rule;
  d.finding.secret = "tok_abcdefabcdefabcdef";
  d.finding.start_line = 1;
  d.finding.start_column = 1;
  report::PusherOptions o;
  o.verdict = report::Verdict::kWarned;
  o.block_confidence = "high";
  std::string msg = report::PusherMessage({&d}, o);
  CHECK(Contains(msg, "secretgate: warning: 1 possible secret found in this push"));
  CHECK(Contains(msg, "less confident than block_confidence = high"));
  CHECK(Contains(msg, "(test-token, medium confidence)"));
}
