// End to end: real pushes into a protected bare repository, real `secretgate notify` runs, and a
// real HTTP receiver on 127.0.0.1 (tests/notify/http_sink.py).
#include <doctest/doctest.h>
#include <signal.h>

#include <cerrno>
#include <map>
#include <nlohmann/json.hpp>

#include "e2e/git_server.h"
#include "notify/sink_server.h"

using namespace sg::testing;
using nlohmann::json;

namespace {

std::string Webhook(const std::string& name, const std::string& url,
                    const std::string& extra = "") {
  return "[[webhooks]]\nname = '" + name + "'\nurl = '" + url + "'\nsecret = 'hook secret " + name +
         "'\n" + extra;
}

std::map<int64_t, int> CountBySeq(const std::vector<SinkRequest>& requests) {
  std::map<int64_t, int> n;
  for (const auto& r : requests) ++n[json::parse(r.body)["seq"].get<int64_t>()];
  return n;
}

json SinkStatus(const GitServer& s) {
  auto r = s.Sg("notify --status --format json --repo " + Quote(s.bare()));
  REQUIRE_MESSAGE(r.code != 2, r.err);
  return json::parse(r.out)[0]["sinks"][0];
}

}  // namespace

TEST_CASE("a pushed secret reaches a webhook in the background, signed with the webhook's secret") {
  SinkServer receiver;
  GitServer s;
  s.SetConfig("mode = 'audit'\n" + Webhook("siem", receiver.Url("/in")));
  const std::string token = GithubToken(501);
  s.Commit({{"deploy/notes.txt", "see below\n" + token + "\n"}});
  REQUIRE(s.Push().code == 0);
  // The post-receive hook started `secretgate notify`; wait for it (bounded), not for a time.
  REQUIRE(WaitUntil([&] { return receiver.Requests().size() >= 2; }));
  auto requests = receiver.Requests();
  REQUIRE(requests.size() == 2);
  auto shown = s.Sg("alerts show 1 --format json --repo " + Quote(s.bare()));
  REQUIRE(shown.code == 0);
  std::vector<std::string> events;
  for (const auto& r : requests) {
    CHECK(r.method == "POST");
    CHECK(r.path == "/in");
    CHECK(r.headers.at("content-type") == "application/json");
    CHECK(r.headers.at("x-secretgate-signature") ==
          "sha256=" + HmacSha256Hex("hook secret siem", r.body));
    CHECK(r.headers.at("x-secretgate-signature") !=
          "sha256=" + HmacSha256Hex("another secret", r.body));
    json body = json::parse(r.body);
    CHECK(r.headers.at("x-secretgate-event") == body["event"]);
    CHECK(r.headers.at("x-secretgate-delivery") == body["delivery"]);
    CHECK(body["repository"] == s.bare());
    CHECK(body["alert"]["number"] == 1);
    CHECK(body["alert"]["secret"].is_null());
    CHECK(!Contains(r.body, token));
    events.push_back(body["event"]);
  }
  CHECK(events == std::vector<std::string>{"created", "location_created"});
  CHECK(requests[0].headers.at("x-secretgate-delivery") !=
        requests[1].headers.at("x-secretgate-delivery"));
  // The alert is exactly what `alerts show --format json` prints.
  CHECK(json::parse(requests[1].body)["alert"] == json::parse(shown.out));
  CHECK(json::parse(requests[1].body)["location"]["path"] == "deploy/notes.txt");
  // The delivery log says what went where, without the secret.
  std::string log = ReadFileOrEmpty(s.bare() + "/secretgate/notify/deliveries.jsonl");
  CHECK(Contains(log, "\"outcome\":\"delivered\""));
  CHECK(!Contains(log, token));
  CHECK(!Contains(log, "hook secret"));
}

TEST_CASE(
    "a webhook that is down gets every event after its backoff, exactly once, when it is back") {
  SinkServer receiver;
  receiver.Stop();
  GitServer s;
  s.SetConfig("mode = 'audit'\n[notify]\nafter_push = false\nretry_initial = 600\n" +
              Webhook("chat", receiver.Url("/chat")));
  s.Commit({{"a.txt", GithubToken(511) + "\n" + GithubToken(512) + "\n"}});
  REQUIRE(s.Push().code == 0);
  const std::string repo = " --repo " + Quote(s.bare());

  auto down = s.Sg("notify" + repo);
  CHECK(down.code == 1);
  CHECK(Contains(down.out, "0 delivered, 1 failed"));
  json st = SinkStatus(s);
  CHECK(st["attempts"] == 1);
  CHECK(st["pending"] == 4);
  CHECK(st["next_attempt"] != "");
  CHECK(Contains(st["last_error"].get<std::string>(), "127.0.0.1"));
  auto text = s.Sg("notify --status" + repo);
  CHECK(text.code == 1);
  CHECK(Contains(text.out, "FAILING: 1 attempt(s)"));

  receiver.Start();
  // Still inside its backoff: the run leaves the sink alone.
  auto early = s.Sg("notify" + repo);
  CHECK(early.code == 0);
  CHECK(Contains(early.out, "waiting for its next attempt"));
  CHECK(receiver.Requests().empty());

  auto retry = s.Sg("notify --retry-now" + repo);
  CHECK(retry.code == 0);
  CHECK(Contains(retry.out, "4 delivered, 0 failed"));
  CHECK(s.Sg("notify --retry-now" + repo).code == 0);
  auto counts = CountBySeq(receiver.Requests());
  CHECK(counts == std::map<int64_t, int>{{1, 1}, {2, 1}, {3, 1}, {4, 1}});
  st = SinkStatus(s);
  CHECK(st["attempts"] == 0);
  CHECK(st["pending"] == 0);
  CHECK(st["cursor"] == 4);
  std::string log = ReadFileOrEmpty(s.bare() + "/secretgate/notify/deliveries.jsonl");
  CHECK(Contains(log, "\"outcome\":\"failed\""));
  CHECK(Contains(log, "\"attempt\":2"));
  // Cron's form: every store under a folder of repositories.
  auto root = s.Sg("notify --status --format json --root " + Quote(s.root()));
  CHECK(root.code == 0);
  CHECK(json::parse(root.out)[0]["repository"] == s.bare());
  CHECK(json::parse(root.out)[0]["sinks"][0]["pending"] == 0);
}

TEST_CASE("a notify killed mid-delivery loses nothing and repeats only the event in flight") {
  SinkServer receiver;
  receiver.SetControl(R"({"mode":"ok_then_hang","count":2})");
  GitServer s;
  s.SetConfig("mode = 'audit'\n[notify]\nafter_push = false\n" +
              Webhook("siem", receiver.Url(), "timeout = 300\n"));
  s.Commit(
      {{"keys.txt", GithubToken(521) + "\n" + GithubToken(522) + "\n" + GithubToken(523) + "\n"}});
  REQUIRE(s.Push().code == 0);  // 3 alerts: 6 events
  const std::string pidfile = s.root() + "/notify.pid";
  Sh("export " + s.Env() + "; " + Quote(Binary()) + " notify --repo " + Quote(s.bare()) +
     " >/dev/null 2>&1 & echo $! > " + Quote(pidfile));
  // Two events answered, the third received and never answered: kill -9 now.
  REQUIRE(WaitUntil([&] { return receiver.Requests().size() >= 3; }));
  const pid_t pid = std::stoi(ReadFileOrEmpty(pidfile));
  REQUIRE(::kill(pid, SIGKILL) == 0);
  REQUIRE(WaitUntil([&] { return ::kill(pid, 0) != 0 && errno == ESRCH; }));
  CHECK(receiver.Requests().size() == 3);

  receiver.Stop();
  receiver.SetControl(R"({"mode":"ok"})");
  receiver.Start();
  auto rerun = s.Sg("notify --repo " + Quote(s.bare()));
  CHECK(rerun.code == 0);
  auto counts = CountBySeq(receiver.Requests());
  // Every event at least once; the two whose cursor had moved exactly once; the one in flight
  // when the process died is delivered again (at-least-once).
  CHECK(counts == std::map<int64_t, int>{{1, 1}, {2, 1}, {3, 2}, {4, 1}, {5, 1}, {6, 1}});
}

TEST_CASE("a push with every sink down or hanging completes, and the hook contacts no sink") {
  SinkServer hanging;
  hanging.SetControl(R"({"mode":"hang"})");
  SinkServer down;
  down.Stop();
  GitServer s;
  const std::string sinks = Webhook("down", down.Url(), "timeout = 2\n") +
                            Webhook("hanging", hanging.Url(), "timeout = 2\n") +
                            "[[commands]]\nname = 'missing'\nargv = ['/nonexistent/ticket-tool']\n"
                            "[partners.github]\nurl = '" +
                            hanging.Url("/partner") + "'\ntimeout = 2\n";
  s.SetConfig("mode = 'warn'\n[notify]\nafter_push = false\n" + sinks);
  s.Commit({{"notes1.txt", GithubToken(531) + "\n"}});
  auto push = s.Push();
  CHECK(push.code == 0);
  CHECK(Contains(push.err, "github-pat-classic"));  // the warning reached the pusher
  CHECK(hanging.Requests().empty());
  // Only then does notify contact them; each attempt is bounded by its timeout.
  auto run = s.Sg("notify --repo " + Quote(s.bare()));
  CHECK(run.code == 1);
  CHECK(hanging.Requests().size() == 2);  // the hanging webhook and the partner endpoint
  auto status = s.Sg("notify --status --format json --repo " + Quote(s.bare()));
  for (const auto& sink : json::parse(status.out)[0]["sinks"]) {
    CHECK_MESSAGE(sink["attempts"] == 1, sink.dump());
  }

  // With the background run on, a push still completes while every sink fails or hangs.
  s.SetConfig("mode = 'warn'\n[notify]\nretry_initial = 0\n" + sinks);
  s.Commit({{"notes2.txt", GithubToken(532) + "\n"}});
  CHECK(s.Push().code == 0);
  // Wait (bounded) for that background run to have tried every sink once more.
  CHECK(WaitUntil([&] {
    auto st = s.Sg("notify --status --format json --repo " + Quote(s.bare()));
    for (const auto& sink : json::parse(st.out)[0]["sinks"]) {
      if (sink["attempts"] != 2) return false;
    }
    return true;
  }));
}
