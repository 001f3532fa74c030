// End to end: a command sink gets hostile event content as data on stdin, never as code.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/git_server.h"

using namespace sg::testing;
using nlohmann::json;

TEST_CASE("a command sink gets hostile file names intact on stdin, and nothing in them runs") {
  GitServer s;
  TempDir out;
  const std::string dollar = out / "pwned-dollar";
  const std::string backtick = out / "pwned-backtick";
  const std::string semicolon = out / "pwned-semicolon";
  const std::string in_argv = out / "pwned-argv";
  const std::string path = "evil $(touch " + dollar + ") `touch " + backtick + "`; touch " +
                           semicolon + "; rm -rf ~ \"dq\" 'sq' \\x\nsecond line.env";
  const std::string received = out / "received.jsonl";
  s.SetConfig(
      "mode = 'audit'\n[notify]\nafter_push = false\n"
      "[[commands]]\nname = 'ticket'\nargv = ['/usr/bin/tee', '-a', '" +
      received +
      "']\n"
      "[[commands]]\nname = 'echo'\nargv = ['/bin/echo', '$(touch " +
      in_argv + ")']\n");
  const std::string token = GithubToken(601);
  s.Commit({{path, token + "\n"}}, "msg $(touch " + dollar + ")");
  REQUIRE(s.Push().code == 0);
  auto run = s.Sg("notify --repo " + Quote(s.bare()));
  CHECK_MESSAGE(run.code == 0, run.out << run.err);

  std::istringstream lines(ReadFileOrEmpty(received));
  std::vector<json> events;
  for (std::string line; std::getline(lines, line);) events.push_back(json::parse(line));
  REQUIRE(events.size() == 2);
  CHECK(events[0]["event"] == "created");
  CHECK(events[1]["event"] == "location_created");
  CHECK(events[0]["alert"]["locations"][0]["path"] == path);
  CHECK(events[1]["location"]["path"] == path);
  CHECK(!Contains(ReadFileOrEmpty(received), token));
  CHECK(!PathExists(dollar));
  CHECK(!PathExists(backtick));
  CHECK(!PathExists(semicolon));
  CHECK(!PathExists(in_argv));
  // Both commands exited 0, so both cursors moved to the end.
  auto status = s.Sg("notify --status --format json --repo " + Quote(s.bare()));
  for (const auto& sink : json::parse(status.out)[0]["sinks"]) {
    CHECK(sink["pending"] == 0);
    CHECK(sink["cursor"] == 2);
  }
}

TEST_CASE("a command that fails is retried, and its output is kept in the log for the admin") {
  GitServer s;
  TempDir tools;
  const std::string script = tools / "flaky";
  const std::string flag = tools / "ok";
  WriteFile(script, "#!/bin/sh\ncat >/dev/null\n[ -e '" + flag +
                        "' ] && exit 0\necho 'queue full' >&2\nexit 3\n");
  REQUIRE(Sh("chmod 755 " + Quote(script)).code == 0);
  s.SetConfig(
      "mode = 'audit'\n[notify]\nafter_push = false\nretry_initial = 600\n"
      "[[commands]]\nname = 'flaky'\nargv = ['" +
      script + "']\n");
  s.Commit({{"k.txt", GithubToken(602) + "\n"}});
  REQUIRE(s.Push().code == 0);
  auto failed = s.Sg("notify --repo " + Quote(s.bare()));
  CHECK(failed.code == 1);
  CHECK(Contains(failed.out, "exit 3: queue full"));
  WriteFile(flag, "");
  auto ok = s.Sg("notify --retry-now --repo " + Quote(s.bare()));
  CHECK(ok.code == 0);
  CHECK(Contains(ok.out, "2 delivered, 0 failed"));
}
