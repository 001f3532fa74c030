// End to end: `secretgate verify` asks a provider's verifier whether a secret is still active and
// records the answer as the alert's validity, with a `validated` timeline event.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "e2e/git_server.h"
#include "notify/sink_server.h"

using namespace sg::testing;
using nlohmann::json;

namespace {

json Show(const GitServer& s, int n) {
  auto r = s.Sg("alerts show " + std::to_string(n) + " --format json --repo " + Quote(s.bare()));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  return json::parse(r.out);
}

int ValidatedEvents(const json& alert) {
  int n = 0;
  for (const auto& e : alert["timeline"]) n += e["event"] == "validated";
  return n;
}

// The alert number whose (stored) secret is `token`.
int NumberOf(const GitServer& s, const std::string& token) {
  auto r = s.Sg("alerts list --format json --repo " + Quote(s.bare()));
  for (const auto& a : json::parse(r.out)) {
    if (a["secret"] == token) return a["number"];
  }
  FAIL("no alert holds the token");
  return 0;
}

}  // namespace

TEST_CASE("a command verifier records one secret as active and another as inactive") {
  SinkServer receiver;
  GitServer s;
  TempDir tools;
  const std::string live = GithubToken(801), dead = GithubToken(802);
  const std::string verifier = tools / "check-github";
  WriteFile(verifier,
            "#!/bin/sh\nread secret\n[ \"$secret\" = '" + live + "' ] && exit 0\nexit 1\n");
  REQUIRE(Sh("chmod 755 " + Quote(verifier)).code == 0);
  s.SetConfig(
      "mode = 'audit'\nstore_secrets = true\n[notify]\nafter_push = false\n"
      "[partners.github]\nverifier = { command = ['" +
      verifier +
      "'] }\n"
      "[[webhooks]]\nname = 'siem'\nurl = '" +
      receiver.Url() +
      "'\nsecret = 'k'\n"
      "events = ['validated']\n");
  s.Commit({{"two.txt", live + "\n" + dead + "\n"}});
  REQUIRE(s.Push().code == 0);
  auto run = s.Sg("verify --all --actor auditor --repo " + Quote(s.bare()));
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(Contains(run.out, ": active (verifier " + verifier + ": exit 0)"));
  CHECK(Contains(run.out, ": inactive (verifier " + verifier + ": exit 1)"));
  CHECK(!Contains(run.out, live));
  json a = Show(s, NumberOf(s, live));
  json b = Show(s, NumberOf(s, dead));
  CHECK(a["validity"] == "active");
  CHECK(b["validity"] == "inactive");
  CHECK(ValidatedEvents(a) == 1);
  CHECK(ValidatedEvents(b) == 1);
  CHECK(a["timeline"].back()["event"] == "validated");
  CHECK(a["timeline"].back()["detail"] == "active");
  CHECK(a["timeline"].back()["actor"] == "auditor");
  // Unchanged validity writes nothing.
  REQUIRE(s.Sg("verify --all --repo " + Quote(s.bare())).code == 0);
  CHECK(ValidatedEvents(Show(s, NumberOf(s, live))) == 1);
  // The validated events are notifications like any other, without the secret.
  REQUIRE(s.Sg("notify --repo " + Quote(s.bare())).code == 0);
  auto requests = receiver.Requests();
  REQUIRE(requests.size() == 2);
  for (const auto& r : requests) {
    json body = json::parse(r.body);
    CHECK(body["event"] == "validated");
    CHECK(body["alert"]["secret"].is_null());
    CHECK(!Contains(r.body, live));
  }
}

TEST_CASE(
    "an HTTP verifier's status decides validity, and without the plain secret it is unknown") {
  SinkServer api;
  const std::string live = GithubToken(811), dead = GithubToken(812);
  api.SetControl(R"({"mode":"auth","active":["Bearer )" + live + R"("]})");
  const std::string verifier = "[partners.github]\nverifier = { url = '" + api.Url("/user") +
                               "', headers = { Authorization = 'Bearer {{secret}}' }, "
                               "active_status = [200], inactive_status = [401, 403] }\n";
  GitServer s;
  s.SetConfig("mode = 'audit'\nstore_secrets = true\n" + verifier);
  s.Commit({{"two.txt", live + "\n" + dead + "\n"}});
  REQUIRE(s.Push().code == 0);
  const int live_n = NumberOf(s, live), dead_n = NumberOf(s, dead);
  auto one = s.Sg("verify " + std::to_string(live_n) + " --repo " + Quote(s.bare()));
  CHECK_MESSAGE(one.code == 0, one.err);
  CHECK(Contains(one.out, "active (verifier http://127.0.0.1:"));
  CHECK(s.Sg("verify " + std::to_string(dead_n) + " --repo " + Quote(s.bare())).code == 0);
  CHECK(Show(s, live_n)["validity"] == "active");
  CHECK(Show(s, dead_n)["validity"] == "inactive");
  CHECK(ValidatedEvents(Show(s, dead_n)) == 1);
  auto requests = api.Requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].path == "/user");
  CHECK(requests[0].headers.at("authorization") == "Bearer " + live);

  // store_secrets off and nothing in the partner outbox: unknown, and the reason is given.
  GitServer blind;
  blind.SetConfig("mode = 'audit'\n" + verifier);
  blind.Commit({{"c.txt", live + "\n"}});
  REQUIRE(blind.Push().code == 0);
  auto unknown = blind.Sg("verify 1 --repo " + Quote(blind.bare()));
  CHECK(unknown.code == 0);
  CHECK(Contains(unknown.out, "alert #1: unknown (the plain secret is not available"));
  CHECK(Show(blind, 1)["validity"] == "unknown");
  CHECK(api.Requests().size() == 2);

  // A partner notification not yet delivered still holds the token: verify can use it.
  SinkServer partner;
  partner.Stop();
  GitServer handed;
  handed.SetConfig("mode = 'audit'\n[notify]\nafter_push = false\n" + verifier + "url = '" +
                   partner.Url("/partner") + "'\n");
  handed.Commit({{"d.txt", live + "\n"}});
  REQUIRE(handed.Push().code == 0);
  auto from_outbox = handed.Sg("verify 1 --repo " + Quote(handed.bare()));
  CHECK_MESSAGE(from_outbox.code == 0, from_outbox.err);
  CHECK(Show(handed, 1)["validity"] == "active");

  // A provider without a verifier is an error for a single alert.
  GitServer none;
  none.SetConfig("mode = 'audit'\n");
  none.Commit({{"e.txt", dead + "\n"}});
  REQUIRE(none.Push().code == 0);
  auto no_verifier = none.Sg("verify 1 --repo " + Quote(none.bare()));
  CHECK(no_verifier.code == 2);
  CHECK(Contains(no_verifier.err, "no verifier is configured for provider 'github'"));
}
