// End to end: the hook's log as a log system reads it (README.md, "Logging").
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "e2e/git_server.h"

using namespace sg::testing;
using nlohmann::json;

namespace {

std::vector<json> JsonLines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    const std::string what = "not a JSON line: " + line;
    REQUIRE_MESSAGE(!j.is_discarded(), what);
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<json> Events(const std::vector<json>& lines, const std::string& name) {
  std::vector<json> out;
  for (const auto& j : lines) {
    if (j.value("event", "") == name) out.push_back(j);
  }
  return out;
}

}  // namespace

TEST_CASE("log_format json: the push and each finding are JSON events sharing the push id") {
  GitServer s;
  s.SetConfig("log_format = 'json'");
  const std::string token = GithubToken(500);
  s.Commit({{"config/app.env", "X=1\nTOKEN=" + token + "\n"}});
  REQUIRE(s.Push().code != 0);
  const std::string log = s.log();
  CHECK(!Contains(log, token));
  auto lines = JsonLines(log);
  auto pushes = Events(lines, "push");
  REQUIRE(pushes.size() == 1);
  const json& p = pushes[0];
  CHECK(p["level"] == "info");
  CHECK(p["time"].is_string());
  CHECK(p["push_id"].get<std::string>().size() == 16);
  CHECK(p["repository"] == s.bare());
  CHECK(p["refs"] == json::array({"refs/heads/main"}));
  CHECK(p["updates"][0]["ref"] == "refs/heads/main");
  CHECK(p["updates"][0]["old"] == std::string(40, '0'));
  CHECK(p["updates"][0]["new"] == s.Head());
  CHECK(p["pusher"].is_string());
  CHECK(p["findings"] == 1);
  CHECK(p["blocking"] == 1);
  CHECK(p["blobs"] == 1);
  CHECK(p["decision"] == "rejected");
  CHECK(p["recorded"] == "yes");
  CHECK(p["alerts"] == json::array({1}));
  CHECK(p["quarantine"] == true);
  CHECK(p["duration_ms"].is_number_integer());
  auto findings = Events(lines, "finding");
  REQUIRE(findings.size() == 1);
  const json& f = findings[0];
  CHECK(f["push_id"] == p["push_id"]);
  CHECK(f["level"] == "warning");
  CHECK(f["rule"] == "github-pat-classic");
  CHECK(f["where"] == "config/app.env:2:7");
  CHECK(f["commit"] == s.Head());
  CHECK(f["secret"] == token.substr(0, 6) + "…(40 chars)");
  CHECK(f["mode"] == "block");
  CHECK(f["alert"] == 1);
  CHECK(f["recorded"] == "yes");
}

TEST_CASE("key=value log lines quote the values that hold spaces") {
  GitServer s;
  s.SetConfig("allow_bypass = true");
  const std::string token = GithubToken(501);
  s.Commit({{"a.env", "TOKEN=" + token + "\n"}});
  REQUIRE(s.Push("HEAD:refs/heads/main", "-o secretgate.bypass=false_positive").code == 0);
  const std::string log = s.log();
  CHECK(Contains(log, " decision=\"accepted (bypass: false_positive)\" "));
  CHECK(Contains(log, " secret=\"" + token.substr(0, 6) + "…(40 chars)\" "));
  CHECK(Contains(log, " refs=refs/heads/main "));
  CHECK(!Contains(log, token));
}

TEST_CASE("a drained finding carries the id of the push that left it unscanned") {
  GitServer s;
  REQUIRE(Sh("rm hooks/post-receive", s.bare()).code == 0);
  s.SetConfig("timeout = 0.000001\nlog_format = 'json'");
  s.Commit({{"k.txt", GithubToken(502) + "\n"}});
  REQUIRE(s.Push().code == 0);
  auto deadline = Events(JsonLines(s.log()), "scan_deadline");
  REQUIRE(deadline.size() == 1);
  const std::string push_id = deadline[0]["push_id"];
  REQUIRE(s.Sg("drain --repo " + Quote(s.bare())).code == 0);
  auto lines = JsonLines(s.log());
  auto findings = Events(lines, "finding");
  REQUIRE(findings.size() == 1);
  CHECK(findings[0]["push_id"] == push_id);
  CHECK(findings[0]["alert"] == 1);
  auto drained = Events(lines, "drained");
  REQUIRE(drained.size() == 1);
  CHECK(drained[0]["push_id"] == push_id);
  CHECK(drained[0]["findings"] == 1);
}

TEST_CASE("a bad log_format is an error naming the key and the value") {
  GitServer s;
  s.SetConfig("log_format = 'xml'");
  auto r = s.Sg("alerts list --repo " + Quote(s.bare()));
  CHECK(r.code == 2);
  CHECK(Contains(r.err, "log_format"));
  CHECK(Contains(r.err, "expected text or json, got 'xml'"));
}

namespace {

// The backquoted names in `cell`, leaving out what stands in parentheses (values, notes).
std::vector<std::string> QuotedNames(const std::string& cell) {
  std::vector<std::string> names;
  int depth = 0;
  for (size_t i = 0; i < cell.size(); ++i) {
    if (cell[i] == '(') ++depth;
    if (cell[i] == ')') --depth;
    if (cell[i] != '`' || depth > 0) continue;
    const size_t end = cell.find('`', i + 1);
    if (end == std::string::npos) break;
    names.push_back(cell.substr(i + 1, end - i - 1));
    i = end;
  }
  return names;
}

struct DocumentedEvent {
  std::string level;
  std::set<std::string> fields;
};

// The README's "Logging" table: every event with its level and fields.
std::map<std::string, DocumentedEvent> DocumentedEvents() {
  const std::string readme = ReadFileOrEmpty(SourceDir() + "/README.md");
  const size_t table = readme.find("| event | level | fields |");
  REQUIRE(table != std::string::npos);
  std::map<std::string, DocumentedEvent> out;
  std::istringstream in(readme.substr(table));
  std::string line;
  std::getline(in, line);  // the header
  std::getline(in, line);  // |---|
  while (std::getline(in, line) && line.rfind("| ", 0) == 0) {
    std::vector<std::string> cells;
    std::istringstream row(line.substr(1));
    for (std::string cell; std::getline(row, cell, '|');) cells.push_back(cell);
    REQUIRE(cells.size() >= 3);
    const auto names = QuotedNames(cells[0]);
    std::vector<std::string> levels;
    std::istringstream level_list(cells[1]);
    for (std::string l; std::getline(level_list, l, ',');) {
      levels.push_back(l.substr(l.find_first_not_of(' '),
                                l.find_last_not_of(' ') + 1 - l.find_first_not_of(' ')));
    }
    const auto fields = QuotedNames(cells[2]);
    for (size_t i = 0; i < names.size(); ++i) {
      out[names[i]] = {levels[std::min(i, levels.size() - 1)], {fields.begin(), fields.end()}};
    }
  }
  return out;
}

// An event's own fields: all but the time, level and pid every line has, and its name.
std::set<std::string> FieldsOf(const json& event) {
  std::set<std::string> keys;
  for (const auto& [key, value] : event.items()) {
    if (key != "time" && key != "level" && key != "pid" && key != "event") keys.insert(key);
  }
  return keys;
}

}  // namespace

TEST_CASE(
    "every event the hook and drain log is in the README's table, with its level and fields") {
  const auto documented = DocumentedEvents();
  GitServer s;
  s.SetConfig("log_format = 'json'\nlog_level = 'debug'\nallow_bypass = true");
  s.Commit({{".secretgate-exclusions", "fixtures/**\n"}});
  REQUIRE(s.Push().code == 0);
  s.Commit({{"a.py", "TOKEN = '" + GithubToken(510) + "'  # secretgate:allow\n"},
            {"b.env", "TOKEN=" + GithubToken(511) + "\n"}});
  REQUIRE(s.Push().code != 0);
  REQUIRE(s.Push("HEAD:refs/heads/main", "-o secretgate.bypass=false_positive").code == 0);
  // A push that hits its deadline, and the drain that scans the rest.
  s.SetConfig("log_format = 'json'\nlog_level = 'debug'\ntimeout = 0.000001");
  s.Commit({{"c.txt", GithubToken(512) + "\n"}});
  REQUIRE(s.Push().code == 0);
  REQUIRE(s.Sg("drain --repo " + Quote(s.bare())).code == 0);

  std::set<std::string> seen;
  for (const json& e : JsonLines(s.log())) {
    const std::string name = e["event"];
    CAPTURE(e.dump());
    seen.insert(name);
    if (name == "message") {  // a line that is not an event yet (README: "Logging")
      CHECK(FieldsOf(e) == std::set<std::string>{"message"});
      continue;
    }
    auto doc = documented.find(name);
    const std::string undocumented = "not in the README's table: " + name;
    REQUIRE_MESSAGE(doc != documented.end(), undocumented);
    CHECK(e["level"] == doc->second.level);
    for (const auto& key : FieldsOf(e)) {
      const std::string missing = name + "." + key + " is not in the README's table";
      CHECK_MESSAGE(doc->second.fields.count(key) == 1, missing);
    }
    // These always carry every documented field.
    if (name == "push" || name == "finding" || name == "finding_suppressed" || name == "drained") {
      CHECK(FieldsOf(e) == doc->second.fields);
    }
  }
  for (const char* name : {"push", "finding", "finding_suppressed", "bypass_requested",
                           "exclusions", "phase", "scan_deadline", "drained"}) {
    const std::string absent = std::string("no ") + name + " event was logged";
    CHECK_MESSAGE(seen.count(name) == 1, absent);
  }
}

TEST_CASE("a path and a pusher name with a newline and invalid UTF-8 cannot forge a log line") {
  const std::string hostile_path = "evil\n{\"event\":\"push\",\"decision\":\"accepted\"}\xff.env";
  const std::string hostile_pusher =
      "GL_USERNAME=\"$(printf 'mallory\\n2026-12-02T21:17:41.030+0000 [1] info: push "
      "decision=accepted')\" ";
  for (const std::string format : {"json", "text"}) {
    CAPTURE(format);
    GitServer s;
    s.SetConfig("log_format = '" + format + "'");
    const std::string token = GithubToken(520);
    s.Commit({{hostile_path, "TOKEN=" + token + "\n"}});
    REQUIRE(s.InWork(hostile_pusher + "git push origin HEAD:refs/heads/main").code != 0);
    const std::string log = s.log();
    CHECK(!Contains(log, token));
    CHECK(!Contains(log, "\xff"));
    if (format == "json") {
      auto lines = JsonLines(log);  // each line parses: valid JSON and valid UTF-8
      auto pushes = Events(lines, "push");
      REQUIRE(pushes.size() == 1);
      CHECK(pushes[0]["decision"] == "rejected");
      CHECK(pushes[0]["pusher"] ==
            "mallory\\n2026-12-02T21:17:41.030+0000 [1] info: push decision=accepted");
      auto findings = Events(lines, "finding");
      REQUIRE(findings.size() == 1);
      CHECK(findings[0]["where"] ==
            "evil\\n{\"event\":\"push\",\"decision\":\"accepted\"}\\xff.env:1:7");
    } else {
      // Every line is one the hook wrote: it starts with the time and pid, and only one says push.
      std::istringstream in(log);
      int pushes = 0;
      for (std::string line; std::getline(in, line);) {
        CAPTURE(line);
        CHECK(line.size() > 30);
        CHECK(line.substr(0, 2) == "20");
        CHECK(line[10] == 'T');
        pushes += Contains(line, " info: push ");
      }
      CHECK(pushes == 1);
      CHECK(Contains(log,
                     " pusher=\"mallory\\\\n2026-12-02T21:17:41.030+0000 [1] info: push "
                     "decision=accepted\" "));
      CHECK(Contains(log, " where=\"evil\\\\n{\\\"event\\\":\\\"push\\\","));
    }
  }
}
