// The server and pushes share the store: concurrent PATCHes from many clients and real pushes
// into the protected repository must not lose one another's records.
#include <doctest/doctest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/serve_fixture.h"

using namespace sg::testing;
using nlohmann::json;

TEST_CASE("concurrent PATCHes and pushes into a protected repository lose no record") {
  ServeFixture f({"acme/app"}, "mode = 'audit'");
  std::map<std::string, std::string> files;
  for (int i = 0; i < 24; ++i)
    files["s" + std::to_string(i) + ".env"] = "T=" + GithubToken(7300 + i) + "\n";
  REQUIRE(f.Push("acme/app", files).code == 0);
  std::string tok = f.Token("tess", "triage");
  f.Start("--threads 4");
  const std::string alerts = "/api/v3/repos/acme/app/secret-scanning/alerts/";

  // 8 clients close alerts 1..24; every alert is attempted by two clients at once, so exactly
  // one of each pair must win and the other get a 422.
  std::atomic<int> wins{0}, conflicts{0}, other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (int n = 1 + (c % 4); n <= 24; n += 4) {
        auto r = Api(
            f.port(), "PATCH", alerts + std::to_string(n), tok,
            R"({"state":"resolved","resolution":"used_in_tests","resolution_comment":"client )" +
                std::to_string(c) + "\"}");
        if (r.status == 200)
          ++wins;
        else if (r.status == 422)
          ++conflicts;
        else
          ++other;
      }
    });
  }
  // Meanwhile, real pushes record new alerts into the same store.
  std::thread pusher([&] {
    for (int p = 0; p < 4; ++p) {
      auto r =
          f.Push("acme/app",
                 {{"new" + std::to_string(p) + ".env",
                   "T=" + GithubToken(7400 + p) + "\n" + "U=" + GithubToken(7500 + p) + "\n"}});
      CHECK_MESSAGE(r.code == 0, r.err);
    }
  });
  for (auto& t : clients) t.join();
  pusher.join();
  CHECK(wins == 24);
  CHECK(conflicts == 24);
  CHECK(other == 0);

  auto list = Api(f.port(), "GET",
                  "/api/v3/repos/acme/app/secret-scanning/alerts?per_page=100&direction=asc", tok);
  REQUIRE(list.status == 200);
  json all = json::parse(list.body);
  REQUIRE(all.size() == 32);
  for (auto& a : all) {
    const int n = a["number"];
    CAPTURE(n);
    int resolved = 0;
    for (auto& e : a["timeline"]) resolved += e["event"] == "resolved";
    CHECK(resolved == (n <= 24 ? 1 : 0));
    CHECK(a["state"] == (n <= 24 ? "resolved" : "open"));
  }
  auto verify = f.Sg("store verify --repo " + Quote(f.bare("acme/app")));
  CHECK_MESSAGE(verify.code == 0, verify.out << verify.err);
  CHECK(Contains(verify.out, "ok: "));
}

TEST_CASE("a script written for GitHub's secret-scanning API works unchanged against serve") {
  ServeFixture f({"acme/app"}, "mode = 'audit'");
  std::map<std::string, std::string> files;
  for (int i = 0; i < 5; ++i)
    files["s" + std::to_string(i) + ".env"] = "T=" + GithubToken(7600 + i) + "\n";
  REQUIRE(f.Push("acme/app", files).code == 0);
  std::string tok = f.Token("scripter", "triage");
  f.Start();
  auto r = Sh("python3 " + Quote(SourceDir() + "/tests/server/github_client.py") + " " +
              Quote(f.base_url()) + " " + Quote(tok) + " acme/app 5");
  CHECK_MESSAGE(r.code == 0, r.out << r.err);
  CHECK(Contains(r.out, "all checks passed"));
}
