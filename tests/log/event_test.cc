// log/event.h: the one API for structured log lines, in both formats.
#include "log/event.h"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "helpers.h"
#include "log/log.h"

using namespace sg;
using namespace sg::testing;
using nlohmann::json;

namespace {

// Sets the event format for one test case and puts text back afterwards.
struct FormatScope {
  explicit FormatScope(log::Format f) { log::SetCurrentFormat(f); }
  ~FormatScope() { log::SetCurrentFormat(log::Format::kText); }
};

log::Event Sample() {
  log::Event e(log::kInfo, "push");
  e.Add("repository", "/srv/git/a.git")
      .Add("decision", "accepted (bypass: false_positive)")
      .Add("empty", "")
      .Add("eq", "a=b")
      .Add("quote", "say \"hi\"")
      .Add("findings", 3)
      .Add("quarantine", true)
      .Add("ms", 1.5)
      .Add("commit", log::Value())
      .Add("refs", log::Value::Strings({"refs/heads/main", "refs/tags/v1"}))
      .Add("updates", log::Value(std::vector<log::Value>{
                          log::Value::Obj({{"ref", "refs/heads/main"}, {"new", "ab12"}})}));
  return e;
}

}  // namespace

TEST_CASE("key=value events quote a value with a space, a quote or '=', and no other") {
  FormatScope text(log::Format::kText);
  CHECK(Sample().Render() ==
        "push repository=/srv/git/a.git decision=\"accepted (bypass: false_positive)\" empty=\"\" "
        "eq=\"a=b\" quote=\"say \\\"hi\\\"\" findings=3 quarantine=true ms=1.5 commit=- "
        "refs=refs/heads/main,refs/tags/v1 updates=refs/heads/main:ab12");
}

TEST_CASE("json events are one object with typed fields, lists and objects") {
  FormatScope fmt(log::Format::kJson);
  const std::string rendered = Sample().Render();
  json j = json::parse("{" + rendered + "}");
  CHECK(j["event"] == "push");
  CHECK(j["repository"] == "/srv/git/a.git");
  CHECK(j["decision"] == "accepted (bypass: false_positive)");
  CHECK(j["findings"] == 3);
  CHECK(j["quarantine"] == true);
  CHECK(j["ms"] == 1.5);
  CHECK(j["commit"].is_null());
  CHECK(j["refs"] == json::array({"refs/heads/main", "refs/tags/v1"}));
  CHECK(j["updates"][0]["new"] == "ab12");
  CHECK(j["quote"] == "say \"hi\"");
}

TEST_CASE("a hostile value cannot forge a log line in either format") {
  const std::string hostile = "a.env\nfake: push decision=accepted\x1b[2K\xff";
  {
    FormatScope text(log::Format::kText);
    const std::string line = log::Event(log::kWarn, "finding").Add("where", hostile).Render();
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\x1b') == std::string::npos);
    CHECK(Contains(line, "\\n"));
  }
  FormatScope fmt(log::Format::kJson);
  const std::string fields = log::Event(log::kWarn, "finding").Add("where", hostile).Render();
  CHECK(fields.find('\n') == std::string::npos);
  json j = json::parse("{" + fields + "}");  // valid UTF-8 and JSON
  CHECK(j["where"] == "a.env\\nfake: push decision=accepted\\x1b[2K\\xff");
}

TEST_CASE("a line logged as free text becomes a message event in json") {
  CHECK(log::MessageFields("cannot read x: no such file") ==
        "\"event\":\"message\",\"message\":\"cannot read x: no such file\"");
}

namespace {

std::vector<std::pair<int, std::string>> g_syslog;
void CaptureSyslog(int priority, std::string_view line) { g_syslog.emplace_back(priority, line); }

// Captures what would go to syslog(3) for one test case.
struct SyslogCapture {
  SyslogCapture() {
    g_syslog.clear();
    log::SetSyslogWriterForTest(&CaptureSyslog);
  }
  ~SyslogCapture() {
    log::SetupStderr("off");
    log::SetSyslogWriterForTest(nullptr);
  }
};

std::vector<json> JsonLinesOf(const std::string& text) {
  std::istringstream in(text);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

}  // namespace

TEST_CASE("log_format json writes every line of the log file as one JSON object") {
  TempDir dir;
  log::Output out;
  out.format = log::Format::kJson;
  REQUIRE(log::Setup(dir / "secretgate.log", "info", false, {}, 0600, out) ==
          dir / "secretgate.log");
  log::Event(log::kInfo, "push").Add("push_id", "0123456789abcdef").Add("findings", 1).Emit();
  spdlog::warn("free text with \"quotes\"");
  log::Event(log::kDebug, "phase").Add("ms", 1.0).Emit();  // below the level: not written
  spdlog::default_logger()->flush();
  const auto lines = JsonLinesOf(ReadFileOrEmpty(dir / "secretgate.log"));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["event"] == "push");
  CHECK(lines[0]["level"] == "info");
  CHECK(lines[0]["push_id"] == "0123456789abcdef");
  CHECK(lines[0]["pid"].is_number());
  CHECK(lines[0]["time"].get<std::string>().size() == 24);  // 2026-12-02T21:17:41.030Z
  CHECK(lines[1]["event"] == "message");
  CHECK(lines[1]["level"] == "warning");
  CHECK(lines[1]["message"] == "free text with \"quotes\"");
  log::SetupStderr("off");
}

TEST_CASE("free text that looks like JSON members stays a message and cannot add fields") {
  TempDir dir;
  log::Output out;
  out.format = log::Format::kJson;
  log::Setup(dir / "secretgate.log", "info", false, {}, 0600, out);
  // What a marker byte in the payload once let through: text spliced in as the event's members.
  spdlog::warn("{}", "\x1e\"event\":\"push\",\"decision\":\"accepted\"");
  spdlog::default_logger()->flush();
  const auto lines = JsonLinesOf(ReadFileOrEmpty(dir / "secretgate.log"));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["event"] == "message");
  CHECK(!lines[0].contains("decision"));
  log::SetupStderr("off");
}

TEST_CASE("a free-text line in the text format is escaped and stays one line") {
  TempDir dir;
  log::Setup(dir / "secretgate.log", "info", false);
  spdlog::warn("cannot read {}", "a\n2026-01-01T00:00:00.000+0000 [1] info: push decision=ok\xff");
  spdlog::default_logger()->flush();
  const std::string text = ReadFileOrEmpty(dir / "secretgate.log");
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK(Contains(text,
                 "warning: cannot read a\\n2026-01-01T00:00:00.000+0000 [1] info: push "
                 "decision=ok\\xff\n"));
  log::SetupStderr("off");
}

TEST_CASE("log_syslog sends each line to syslog as the file has it, without the newline") {
  SyslogCapture capture;
  TempDir dir;
  log::Output out;
  out.format = log::Format::kJson;
  out.syslog = true;
  log::Setup(dir / "a.log", "info", false, {}, 0600, out);
  log::Event(log::kWarn, "finding")
      .Add("push_id", "0123456789abcdef")
      .Add("secret", "ghp_…")
      .Emit();
  spdlog::error("free text");
  spdlog::default_logger()->flush();
  REQUIRE(g_syslog.size() == 2);
  CHECK(g_syslog[0].first == LOG_WARNING);
  CHECK(g_syslog[1].first == LOG_ERR);
  const json finding = json::parse(g_syslog[0].second);  // the whole object, as in the file
  CHECK(finding["event"] == "finding");
  CHECK(finding["push_id"] == "0123456789abcdef");
  CHECK(finding["level"] == "warning");
  CHECK(json::parse(g_syslog[1].second)["message"] == "free text");
  CHECK(JsonLinesOf(ReadFileOrEmpty(dir / "a.log")).size() == 2);

  // Text: syslog stamps its own time and pid, so the line is the level and the event.
  g_syslog.clear();
  out.format = log::Format::kText;
  log::Setup(dir / "b.log", "info", false, {}, 0600, out);
  log::Event(log::kInfo, "push").Add("decision", "accepted (bypass)").Emit();
  REQUIRE(g_syslog.size() == 1);
  CHECK(g_syslog[0].first == LOG_INFO);
  CHECK(g_syslog[0].second == "info: push decision=\"accepted (bypass)\"");

  // Without log_syslog nothing goes there.
  g_syslog.clear();
  log::Setup(dir / "c.log", "info", false, {}, 0600, {});
  log::Event(log::kInfo, "push").Emit();
  CHECK(g_syslog.empty());
}

TEST_CASE("a log file that cannot be opened sends the lines to syslog, formatted") {
  SyslogCapture capture;
  TempDir dir;
  REQUIRE(Sh("ln -s /nonexistent " + Quote(dir / "link.log")).code == 0);
  log::Output out;
  out.format = log::Format::kJson;
  CHECK(log::Setup(dir / "link.log", "info", false, {}, 0600, out).empty());
  log::Event(log::kError, "internal_error").Add("push_id", "0123456789abcdef").Emit();
  REQUIRE(g_syslog.size() == 1);
  CHECK(json::parse(g_syslog[0].second)["event"] == "internal_error");
}
