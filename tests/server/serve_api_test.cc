// `secretgate serve` end to end: a real server process, real pushes into protected bare
// repositories, real HTTP requests.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "server/serve_fixture.h"

using namespace sg::testing;
using nlohmann::json;

namespace {

const std::string kAlerts = "/api/v3/repos/acme/app/secret-scanning/alerts";

json Body(const HttpReply& r) {
  auto j = json::parse(r.body, nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), r.body);
  return j;
}

// Pushes `n` distinct secrets (each its own alert) into `repo` with audit mode (accepted).
void PushSecrets(ServeFixture& f, const std::string& repo, int n, unsigned seed) {
  std::map<std::string, std::string> files;
  for (int i = 0; i < n; ++i) {
    files["s" + std::to_string(seed + i) + ".env"] = "T=" + GithubToken(seed + i) + "\n";
  }
  auto r = f.Push(repo, files);
  REQUIRE_MESSAGE(r.code == 0, r.err);
}

}  // namespace

TEST_CASE("serve answers nothing without a valid token, and says why in GitHub's words") {
  ServeFixture f({"acme/app"}, "mode = 'audit'");
  PushSecrets(f, "acme/app", 1, 7000);
  std::string tok = f.Token("alice", "read");
  f.Start();
  auto none = f.Get(kAlerts, "");
  CHECK(none.status == 401);
  CHECK(Body(none)["message"] == "Requires authentication");
  CHECK(Body(none).contains("documentation_url"));
  auto bad = f.Get(kAlerts, "sgt_000000000000_" + std::string(64, 'a'));
  CHECK(bad.status == 401);
  CHECK(Body(bad)["message"] == "Bad credentials");
  CHECK(f.Get(kAlerts, "garbage").status == 401);
  // A token with one character changed is refused.
  std::string wrong = tok;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  CHECK(f.Get(kAlerts, wrong).status == 401);
  // `token X`, as the GitHub CLI sends it, works as well as Bearer.
  auto gh = Http(f.port(), "GET", kAlerts, {{"Authorization", "token " + tok}});
  CHECK(gh.status == 200);
  CHECK(f.Get(kAlerts, tok).status == 200);
  // Revoked: refused on the very next request.
  auto list = f.Sg("tokens list --format json");
  REQUIRE(list.code == 0);
  std::string id = json::parse(list.out)[0]["id"];
  REQUIRE(f.Sg("tokens revoke " + id).code == 0);
  CHECK(f.Get(kAlerts, tok).status == 401);
  // The failures are logged, the token is not.
  CHECK(Contains(f.log(), "bad credentials"));
  CHECK(!Contains(f.log(), tok.substr(17)));
}

TEST_CASE("alerts, one alert and its locations come in GitHub's shapes") {
  ServeFixture f({"acme/app"}, "mode = 'audit'");
  PushSecrets(f, "acme/app", 2, 7010);
  std::string tok = f.Token("alice", "read");
  f.Start();
  auto r = f.Get(kAlerts, tok);
  REQUIRE(r.status == 200);
  CHECK(r.Header("content-type") == "application/json; charset=utf-8");
  json arr = Body(r);
  REQUIRE(arr.size() == 2);
  json a = arr[0];
  for (const char* k : {"number",
                        "created_at",
                        "updated_at",
                        "url",
                        "html_url",
                        "locations_url",
                        "state",
                        "resolution",
                        "resolved_at",
                        "resolved_by",
                        "resolution_comment",
                        "secret_type",
                        "secret_type_display_name",
                        "validity",
                        "push_protection_bypassed",
                        "push_protection_bypassed_by",
                        "push_protection_bypassed_at",
                        "publicly_leaked",
                        "multi_repo",
                        "first_location_detected",
                        "has_more_locations"}) {
    CHECK_MESSAGE(a.contains(k), k);
  }
  CHECK(a["state"] == "open");
  CHECK(a["resolution"].is_null());
  CHECK(a["resolved_by"].is_null());
  CHECK(a["secret_type"] == "github-pat-classic");
  CHECK(!a.contains("secret"));  // hidden: the store keeps no plain secrets
  CHECK(a["validity"] == "unknown");
  const int n = a["number"];
  CHECK(a["url"] == f.base_url() + kAlerts + "/" + std::to_string(n));
  CHECK(a["html_url"] == f.base_url() + "/acme/app/security/secret-scanning/" + std::to_string(n));
  auto one = f.Get(kAlerts + "/" + std::to_string(n), tok);
  REQUIRE(one.status == 200);
  CHECK(Body(one)["number"] == n);
  CHECK(Body(one)["timeline"][0]["event"] == "created");
  auto locs = f.Get(kAlerts + "/" + std::to_string(n) + "/locations", tok);
  REQUIRE(locs.status == 200);
  json l = Body(locs)[0];
  CHECK(l["type"] == "commit");
  for (const char* k : {"path", "start_line", "end_line", "start_column", "end_column", "blob_sha",
                        "blob_url", "commit_sha", "commit_url"}) {
    CHECK_MESSAGE(l["details"].contains(k), k);
  }
  CHECK(l["details"]["start_line"] == 1);
  CHECK(l["details"]["commit_sha"].get<std::string>().size() == 40);
  CHECK(f.Get(kAlerts + "/999", tok).status == 404);
  CHECK(f.Get(kAlerts + "/abc", tok).status == 404);
  CHECK(f.Get("/api/v3/repos/acme/nothere/secret-scanning/alerts", tok).status == 404);
  CHECK(f.Get("/api/v3/repos/../etc/secret-scanning/alerts", tok).status == 404);
  auto me = f.Get("/api/v3/user", tok);
  CHECK(Body(me)["login"] == "alice");
}

TEST_CASE(
    "listing filters by state, secret_type, resolution and validity, and refuses bad values with "
    "422") {
  ServeFixture f({"acme/app"}, "mode = 'audit'");
  PushSecrets(f, "acme/app", 3, 7020);
  auto aws = f.Push("acme/app", {{"aws.txt", "AWS_ACCESS_KEY_ID=" + AwsKeyId(7029) + "\n"}});
  REQUIRE(aws.code == 0);
  std::string tok = f.Token("tess", "triage");
  f.Start();
  REQUIRE(f.Patch(kAlerts + "/1", tok, R"({"state":"resolved","resolution":"revoked"})").status ==
          200);
  CHECK(Body(f.Get(kAlerts + "?state=open", tok)).size() == 3);
  CHECK(Body(f.Get(kAlerts + "?state=resolved", tok)).size() == 1);
  CHECK(Body(f.Get(kAlerts + "?resolution=revoked,false_positive", tok)).size() == 1);
  CHECK(Body(f.Get(kAlerts + "?secret_type=github-pat-classic", tok)).size() == 3);
  CHECK(Body(f.Get(kAlerts + "?validity=unknown", tok)).size() == 4);
  CHECK(Body(f.Get(kAlerts + "?validity=active", tok)).empty());
  for (std::string bad : {"state=closed", "sort=name", "direction=up", "per_page=x", "page=0",
                          "resolution=nope", "validity=maybe", "after=zz"}) {
    CAPTURE(bad);
    auto r = f.Get(kAlerts + "?" + bad, tok);
    CHECK(r.status == 422);
    CHECK(Contains(Body(r)["message"].get<std::string>(), "Validation Failed"));
    CHECK(Body(r).contains("documentation_url"));
  }
  // Sorting: created ascending lists by number here.
  json asc = Body(f.Get(kAlerts + "?sort=created&direction=asc", tok));
  CHECK(asc[0]["number"] <= asc[3]["number"]);
}

TEST_CASE("pagination: page and per_page with RFC 8288 Link headers, and before/after cursors") {
  ServeFixture f({"acme/app"}, "mode = 'audit'");
  PushSecrets(f, "acme/app", 7, 7040);
  std::string tok = f.Token("alice", "read");
  f.Start();
  auto p1 = f.Get(kAlerts + "?per_page=3&direction=asc", tok);
  REQUIRE(p1.status == 200);
  CHECK(Body(p1).size() == 3);
  std::string link = p1.Header("link");
  CHECK(Contains(link,
                 "<" + f.base_url() + kAlerts + "?per_page=3&direction=asc&page=2>; rel=\"next\""));
  CHECK(Contains(link, "page=3>; rel=\"last\""));
  CHECK(!Contains(link, "rel=\"prev\""));
  auto p3 = f.Get(kAlerts + "?per_page=3&direction=asc&page=3", tok);
  CHECK(Body(p3).size() == 1);
  CHECK(Contains(p3.Header("link"), "rel=\"prev\""));
  CHECK(Contains(p3.Header("link"), "rel=\"first\""));
  CHECK(!Contains(p3.Header("link"), "rel=\"next\""));
  CHECK(Body(f.Get(kAlerts + "?per_page=3&page=9", tok)).empty());
  // Walk with cursors, as a client follows rel="next": every alert once, in order.
  std::vector<int> seen;
  std::string next;
  {
    auto r = f.Get(kAlerts + "?per_page=2&direction=asc&after=", tok);
    REQUIRE(r.status == 200);
    for (auto& a : Body(r)) seen.push_back(a["number"]);
    next = r.Header("link");
    CHECK(Contains(next, "after="));
  }
  for (int guard = 0; guard < 10 && Contains(next, "rel=\"next\""); ++guard) {
    size_t b = next.find('<') + 1, e = next.find('>');
    std::string url = next.substr(b, e - b).substr(f.base_url().size());
    auto r = f.Get(url, tok);
    REQUIRE(r.status == 200);
    for (auto& a : Body(r)) seen.push_back(a["number"]);
    next = r.Header("link");
  }
  CHECK(seen == std::vector<int>{1, 2, 3, 4, 5, 6, 7});
  // And back with before=, from the end.
  auto last = f.Get(kAlerts + "?per_page=3&direction=asc&before=", tok);
  REQUIRE(last.status == 200);
  CHECK(Body(last).size() == 3);
  CHECK(Body(last)[2]["number"] == 7);
  CHECK(Contains(last.Header("link"), "rel=\"prev\""));
}

TEST_CASE("PATCH closes and reopens as the token's user, with 422 for what GitHub refuses") {
  ServeFixture f({"acme/app"}, "mode = 'audit'");
  PushSecrets(f, "acme/app", 1, 7060);
  std::string tok = f.Token("tess", "triage");
  f.Start();
  const std::string one = kAlerts + "/1";
  struct Bad {
    const char* body;
    const char* field;
  };
  for (Bad b : {Bad{R"({})", "state"}, Bad{R"({"state":"closed"})", "state"},
                Bad{R"({"state":"resolved"})", "resolution"},
                Bad{R"({"state":"resolved","resolution":"fixed"})", "resolution"},
                Bad{R"({"state":"resolved","resolution":7})", "resolution"},
                Bad{R"({"state":"open","resolution":"revoked"})", "resolution"}}) {
    CAPTURE(b.body);
    auto r = f.Patch(one, tok, b.body);
    CHECK(r.status == 422);
    CHECK(Body(r)["errors"][0]["field"] == b.field);
  }
  CHECK(f.Patch(one, tok, "{not json").status == 400);
  // Nothing was written by the bad requests.
  CHECK(Body(f.Get(one, tok))["timeline"].size() == 2);
  auto closed = f.Patch(
      one, tok,
      R"({"state":"resolved","resolution":"false_positive","resolution_comment":"test fixture","actor":"mallory"})");
  REQUIRE(closed.status == 200);
  json a = Body(closed);
  CHECK(a["state"] == "resolved");
  CHECK(a["resolution"] == "false_positive");
  CHECK(a["resolved_by"]["login"] == "tess");  // never a request field
  CHECK(a["resolution_comment"] == "test fixture");
  CHECK(f.Patch(one, tok, R"({"state":"resolved","resolution":"revoked"})").status ==
        422);  // already
  auto reopened =
      f.Patch(one, tok, R"({"state":"open","resolution_comment":"not a fixture after all"})");
  REQUIRE(reopened.status == 200);
  CHECK(Body(reopened)["state"] == "open");
  // The CLI sees the same store.
  auto show = f.Sg("alerts show 1 --format json --repo " + Quote(f.bare("acme/app")));
  REQUIRE(show.code == 0);
  json cli = json::parse(show.out);
  CHECK(cli["timeline"][2]["actor"] == "tess");
  CHECK(cli["timeline"][2]["comment"] == "test fixture");
  CHECK(cli["timeline"][3]["event"] == "reopened");
  // Audit lines, without the comment text.
  std::string log = f.log();
  CHECK(Contains(log, "audit: actor=tess"));
  CHECK(Contains(log, "action=alert.resolve repo=acme/app alert=1 resolution=false_positive"));
  CHECK(Contains(log, "action=alert.reopen"));
  CHECK(!Contains(log, "test fixture"));
}

TEST_CASE("roles and repository globs limit what a token may see and do") {
  ServeFixture f({"acme/app", "other/tool"}, "mode = 'audit'");
  PushSecrets(f, "acme/app", 1, 7080);
  PushSecrets(f, "other/tool", 1, 7081);
  std::string reader = f.Token("rita", "read");
  std::string triage = f.Token("tess", "triage", "acme/*");
  std::string admin = f.Token("adam", "admin");
  f.Start();
  auto r = f.Patch(kAlerts + "/1", reader, R"({"state":"resolved","resolution":"revoked"})");
  CHECK(r.status == 403);
  CHECK(Body(r).contains("documentation_url"));
  CHECK(f.Get("/api/v3/repos/other/tool/secret-scanning/alerts", triage).status == 404);
  CHECK(f.Patch("/api/v3/repos/other/tool/secret-scanning/alerts/1", triage,
                R"({"state":"resolved","resolution":"revoked"})")
            .status == 404);
  CHECK(f.Get("/api/v3/secretgate/tokens", triage).status == 403);
  auto tokens = f.Get("/api/v3/secretgate/tokens", admin);
  REQUIRE(tokens.status == 200);
  CHECK(Body(tokens).size() == 3);
  CHECK(!Contains(tokens.body, "sha256:"));  // hashes stay on disk
  // Server-wide listing shows only what the token may see.
  CHECK(Body(f.Get("/api/v3/enterprises/x/secret-scanning/alerts", triage)).size() == 1);
  json everything = Body(f.Get("/api/v3/enterprises/x/secret-scanning/alerts", reader));
  CHECK(everything.size() == 2);
  CHECK(everything[0]["repository"]["full_name"].is_string());
  json org = Body(f.Get("/api/v3/orgs/other/secret-scanning/alerts", reader));
  REQUIRE(org.size() == 1);
  CHECK(org[0]["repository"]["full_name"] == "other/tool");
  CHECK(org[0]["url"] == f.base_url() + "/api/v3/repos/other/tool/secret-scanning/alerts/1");
  // Admin revokes the reader over the API.
  std::string rid;
  for (auto& t : Body(tokens)) {
    if (t["name"] == "rita") rid = t["id"];
  }
  CHECK(Api(f.port(), "DELETE", "/api/v3/secretgate/tokens/" + rid, admin).status == 204);
  CHECK(f.Get(kAlerts, reader).status == 401);
  CHECK(Contains(f.log(), "action=token.revoke"));
}

TEST_CASE("request limits: big bodies, many headers and silent clients are cut off") {
  ServeFixture f({"acme/app"}, "mode = 'audit'");
  PushSecrets(f, "acme/app", 1, 7090);
  std::string tok = f.Token("tess", "triage");
  f.Start();
  auto big = Api(f.port(), "PATCH", kAlerts + "/1", tok, std::string(2 << 20, 'x'));
  CHECK(big.status == 413);
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 100; ++i) many.push_back({"X-H" + std::to_string(i), "v"});
  CHECK(Http(f.port(), "GET", kAlerts, many).status == 431);
  // One enormous header: over the per-connection memory, refused by libmicrohttpd itself.
  auto huge = Http(f.port(), "GET", kAlerts, {{"X-Big", std::string(64 << 10, 'a')}});
  CHECK((huge.status == 431 || huge.status == 413 || huge.status == 400 || huge.status == 0));
  // A client that sends half a request line and stops is disconnected by the idle timeout.
  auto t0 = std::chrono::steady_clock::now();
  auto slow = SendRaw(f.port(), "GET /api/v3/user HT", 30000);
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(slow.status == 0);
  CHECK(waited < std::chrono::seconds(25));
  // Garbage is answered, and the server still works.
  auto junk = SendRaw(f.port(), "\x16\x03\x01 not http at all\r\n\r\n");
  CHECK(junk.status != 200);
  CHECK(f.Get(kAlerts, tok).status == 200);
  CHECK(Body(f.Get(kAlerts + "/1", tok))["state"] == "open");  // nothing was written
}

TEST_CASE(
    "the page signs in to an HttpOnly SameSite=Strict cookie and every change needs its CSRF "
    "token") {
  ServeFixture f({"acme/app"}, "mode = 'audit'");
  PushSecrets(f, "acme/app", 1, 7100);
  std::string tok = f.Token("tess", "triage");
  f.Start();
  auto page = Http(f.port(), "GET", "/");
  CHECK(page.status == 200);
  CHECK(Contains(page.body, "/assets/app.js"));
  CHECK(Contains(page.Header("content-security-policy"), "default-src 'none'"));
  CHECK(Http(f.port(), "GET", "/assets/app.js").status == 200);
  CHECK(Http(f.port(), "GET", "/assets/nothing.js").status == 404);
  // Sign-in takes JSON only (a cross-site form cannot send it).
  CHECK(Http(f.port(), "POST", "/session", {{"Content-Type", "application/x-www-form-urlencoded"}},
             "token=" + tok)
            .status == 415);
  CHECK(Http(f.port(), "POST", "/session", {{"Content-Type", "application/json"}},
             R"({"token":"sgt_nope"})")
            .status == 401);
  auto in = Http(f.port(), "POST", "/session", {{"Content-Type", "application/json"}},
                 json{{"token", tok}}.dump());
  REQUIRE(in.status == 201);
  std::string cookie = in.Header("set-cookie");
  CHECK(Contains(cookie, "HttpOnly"));
  CHECK(Contains(cookie, "SameSite=Strict"));
  CHECK(Contains(cookie, "Path=/"));
  std::string value = cookie.substr(0, cookie.find(';'));
  std::string csrf = Body(in)["csrf_token"];
  CHECK(Body(in)["login"] == "tess");
  // Reads work with the cookie alone; a change without the CSRF token is refused and writes
  // nothing.
  CHECK(Http(f.port(), "GET", kAlerts, {{"Cookie", value}}).status == 200);
  const std::string close = R"({"state":"resolved","resolution":"wont_fix"})";
  auto no_csrf = Http(f.port(), "PATCH", kAlerts + "/1",
                      {{"Cookie", value}, {"Content-Type", "application/json"}}, close);
  CHECK(no_csrf.status == 403);
  auto wrong = Http(f.port(), "PATCH", kAlerts + "/1",
                    {{"Cookie", value},
                     {"Content-Type", "application/json"},
                     {"X-CSRF-Token", std::string(64, '0')}},
                    close);
  CHECK(wrong.status == 403);
  CHECK(Body(f.Get(kAlerts + "/1", tok))["state"] == "open");
  auto ok = Http(f.port(), "PATCH", kAlerts + "/1",
                 {{"Cookie", value}, {"Content-Type", "application/json"}, {"X-CSRF-Token", csrf}},
                 close);
  CHECK(ok.status == 200);
  CHECK(Body(ok)["resolved_by"]["login"] == "tess");
  // Sign out ends the session.
  CHECK(Http(f.port(), "DELETE", "/session", {{"Cookie", value}, {"X-CSRF-Token", csrf}}).status ==
        204);
  CHECK(Http(f.port(), "GET", kAlerts, {{"Cookie", value}}).status == 401);
}

TEST_CASE("tokens are stored only as hashes in a private file, and a planted symlink is refused") {
  ServeFixture f({"acme/app"});
  std::string tok = f.Token("alice", "admin");
  CHECK(tok.rfind("sgt_", 0) == 0);
  std::string file = ReadFileOrEmpty(f.server_dir() + "/tokens.json");
  CHECK(Contains(file, "sha256:"));
  CHECK(!Contains(file, tok.substr(17)));
  struct stat st {};
  REQUIRE(::stat((f.server_dir() + "/tokens.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(f.server_dir().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  // A symlink planted where the file is: reading and rewriting refuse to follow it.
  TempDir elsewhere;
  WriteFile(elsewhere / "target", "precious");
  REQUIRE(::rename((f.server_dir() + "/tokens.json").c_str(), (elsewhere / "saved").c_str()) == 0);
  REQUIRE(::symlink((elsewhere / "target").c_str(), (f.server_dir() + "/tokens.json").c_str()) ==
          0);
  auto r = f.Sg("tokens create bob --role read");
  CHECK(r.code == 2);
  CHECK(ReadFileOrEmpty(elsewhere / "target") == "precious");
  // A group-writable token directory is refused outright.
  ::unlink((f.server_dir() + "/tokens.json").c_str());
  ::chmod(f.server_dir().c_str(), 0770);
  auto loose = f.Sg("tokens list");
  CHECK(loose.code == 2);
  CHECK(Contains(loose.err, "writable by group or others"));
  // A hand-edited file fails its checksum.
  ::chmod(f.server_dir().c_str(), 0700);
  std::string saved = ReadFileOrEmpty(elsewhere / "saved");
  size_t p = saved.find("\"admin\"");
  REQUIRE(p != std::string::npos);
  saved.replace(p, 7, "\"read\" ");
  WriteFile(f.server_dir() + "/tokens.json", saved);
  auto edited = f.Sg("tokens list");
  CHECK(edited.code == 2);
  CHECK(Contains(edited.err, "checksum"));
}

TEST_CASE("the hooks do not load the HTTP server library: serve loads it when it starts") {
  // libmicrohttpd and GnuTLS behind it cost every start of the binary a few milliseconds of
  // dynamic linking, twice per push. They are loaded with dlopen by `serve` only.
  auto ldd = Sh("ldd " + Quote(Binary()));
  REQUIRE(ldd.code == 0);
  CHECK_FALSE(Contains(ldd.out, "libmicrohttpd"));
  CHECK_FALSE(Contains(ldd.out, "libgnutls"));
  CHECK_FALSE(Contains(ldd.out, "libcurl"));
}
