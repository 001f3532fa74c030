// Delegated bypass end to end: a stopped pusher files a request, someone else reviews it in the
// API or the CLI, and an approved request lets the same secrets through for that pusher.
#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/serve_fixture.h"

using namespace sg::testing;
using nlohmann::json;

namespace {

const std::string kRequests = "/api/v3/repos/acme/app/bypass-requests/secret-scanning";
const std::string kResponses = "/api/v3/repos/acme/app/bypass-responses/secret-scanning";

json Body(const HttpReply& r) {
  auto j = json::parse(r.body, nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), r.body);
  return j;
}

}  // namespace

TEST_CASE("a rejected push names its alerts' pages when serve_url is set") {
  ServeFixture f({"acme/app"}, "serve_url = 'https://sg.example/'");
  auto r = f.Push("acme/app", {{"a.env", "T=" + GithubToken(7200) + "\n"}});
  CHECK(r.code != 0);
  CHECK(Contains(r.err, "alert:  #1 https://sg.example/acme/app/security/secret-scanning/1"));
  // A warning names its alert too.
  ServeFixture w({"acme/app"}, "mode = 'warn'\nserve_url = 'https://sg.example'");
  auto warned = w.Push("acme/app", {{"a.env", "T=" + GithubToken(7201) + "\n"}});
  CHECK(warned.code == 0);
  CHECK(Contains(warned.err, "secretgate: warning"));
  CHECK(Contains(warned.err, "alert:  #1 https://sg.example/acme/app/security/secret-scanning/1"));
}

TEST_CASE(
    "delegated bypass: request, review by another person, push through, recorded on the alert") {
  ServeFixture f({"acme/app"}, "bypass = 'request'\nserve_url = 'https://sg.example'");
  std::string reviewer = f.Token("rev", "triage");
  std::string self = f.Token("pusher", "triage");
  std::string reader = f.Token("rita", "read");
  f.Start();
  auto first = f.Push("acme/app", {{"a.env", "T=" + GithubToken(7210) + "\n"}});
  REQUIRE(first.code != 0);
  CHECK(Contains(first.err, "git push -o secretgate.bypass-request=\"why\""));
  auto asked =
      f.PushAgain("acme/app", "-o 'secretgate.bypass-request=test data, not a real token'");
  CHECK(asked.code != 0);
  CHECK(Contains(asked.err,
                 "bypass request #1 filed: "
                 "https://sg.example/acme/app/security/secret-scanning/bypass-requests/1"));

  json list = Body(f.Get(kRequests, reader));
  REQUIRE(list.size() == 1);
  CHECK(list[0]["status"] == "pending");
  CHECK(list[0]["requester"]["actor_name"] == "pusher");
  CHECK(list[0]["requester_comment"] == "test data, not a real token");
  CHECK(list[0]["data"][0]["alert_number"] == 1);
  CHECK(list[0]["data"][0]["path"] == "a.env");
  CHECK(list[0]["refs"][0] == "refs/heads/main");
  CHECK(list[0]["html_url"] ==
        std::string("https://sg.example") + "/acme/app/security/secret-scanning/bypass-requests/1");

  CHECK(f.Patch(kResponses + "/1", reader, R"({"status":"approve"})").status == 403);
  auto own = f.Patch(kResponses + "/1", self, R"({"status":"approve"})");
  CHECK(own.status == 403);
  CHECK(Contains(Body(own)["message"].get<std::string>(), "requester"));
  CHECK(f.Patch(kResponses + "/1", reviewer, R"({"status":"maybe"})").status == 422);
  auto ok =
      f.Patch(kResponses + "/1", reviewer, R"({"status":"approve","message":"fixture, fine"})");
  REQUIRE(ok.status == 200);
  CHECK(Body(ok)["status"] == "approved");
  CHECK(Body(ok)["responses"][0]["reviewer"]["actor_name"] == "rev");
  CHECK(Body(ok)["valid_until"].is_string());
  CHECK(f.Patch(kResponses + "/1", reviewer, R"({"status":"reject"})").status ==
        422);  // already reviewed
  CHECK(Contains(f.log(), "action=bypass.approve repo=acme/app request=1 requester=pusher"));

  // Someone else pushing the same commit is still stopped; the requester now gets through.
  auto other = f.PushAgain("acme/app", "", "eve");
  CHECK(other.code != 0);
  auto through = f.PushAgain("acme/app");
  CHECK_MESSAGE(through.code == 0, through.err);
  CHECK(Contains(through.err, "push accepted (bypass recorded)"));

  json alert = Body(f.Get("/api/v3/repos/acme/app/secret-scanning/alerts/1", reader));
  CHECK(alert["state"] == "open");  // an approved bypass does not close the alert
  CHECK(alert["push_protection_bypassed"] == true);
  CHECK(alert["push_protection_bypassed_by"]["login"] == "pusher");
  CHECK(alert["push_protection_bypass_request_reviewer"]["login"] == "rev");
  CHECK(alert["push_protection_bypass_request_reviewer_comment"] == "fixture, fine");
  CHECK(alert["push_protection_bypass_request_html_url"] ==
        "https://sg.example/acme/app/security/secret-scanning/bypass-requests/1");
  bool timeline = false;
  for (auto& e : alert["timeline"]) {
    if (e["event"] == "push_protection_bypassed") {
      timeline = Contains(e["comment"].get<std::string>(),
                          "bypass request #1 approved by rev: fixture, fine");
    }
  }
  CHECK(timeline);
  // A new secret is not covered by the approval.
  auto fresh = f.Push("acme/app", {{"b.env", "T=" + GithubToken(7211) + "\n"}});
  CHECK(fresh.code != 0);
  // The server-wide list and the metrics see it too.
  CHECK(
      Body(f.Get("/api/v3/enterprises/all/bypass-requests/secret-scanning?status=approved", reader))
          .size() == 1);
  json m = Body(f.Get("/api/v3/secretgate/metrics", reader));
  CHECK(m["bypass_requests"]["approved"] == 1);
  CHECK(m["pushes_by_day"][0]["bypassed_by_reason"]["will_fix_later"] == 1);
}

TEST_CASE("bypass requests from the CLI: deny one, and one nobody reviews expires") {
  // 0.00004 days is about 3.5 seconds.
  ServeFixture f({"acme/app"}, "bypass = 'request'\nbypass_request_expiry = 0.00004");
  auto r = f.Push("acme/app", {{"a.env", "T=" + GithubToken(7220) + "\n"}},
                  "-o secretgate.bypass-request=please");
  REQUIRE(r.code != 0);
  CHECK(Contains(r.err, "bypass request #1 filed"));
  const std::string repo = " --repo " + Quote(f.bare("acme/app"));
  auto deny = f.Sg("bypass deny 1 --comment 'rotate it instead'" + repo);
  CHECK_MESSAGE(deny.code == 0, deny.err);
  CHECK(Contains(deny.out, "bypass request #1 denied"));
  CHECK(f.PushAgain("acme/app").code != 0);
  auto again = f.PushAgain("acme/app", "-o secretgate.bypass-request=pretty-please");
  CHECK(Contains(again.err, "bypass request #2 filed"));
  std::this_thread::sleep_for(std::chrono::milliseconds(4000));
  auto list = f.Sg("bypass list --format json" + repo);
  REQUIRE(list.code == 0);
  json all = json::parse(list.out);
  REQUIRE(all.size() == 2);
  CHECK(all[0]["status"] == "denied");
  CHECK(all[0]["review_comment"] == "rotate it instead");
  CHECK(all[1]["status"] == "expired");
  auto late = f.Sg("bypass approve 2" + repo);
  CHECK(late.code == 2);
  CHECK(Contains(late.err, "expired"));
  CHECK(f.PushAgain("acme/app").code != 0);
  CHECK(f.Sg("bypass approve 9" + repo).code == 2);
}
