// End to end: the provider of a leaked token hears about it in a signed POST, as in GitHub's
// secret scanning partner program, and the signature verifies with the published key.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/git_server.h"
#include "notify/sink_server.h"

using namespace sg::testing;
using nlohmann::json;

namespace {

unsigned Mode(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    out.push_back(e.path().string());
  return out;
}

}  // namespace

TEST_CASE("a partner endpoint receives a new token signed with the server's published key") {
  SinkServer provider;
  GitServer s;
  s.SetConfig("mode = 'audit'\n[notify]\nafter_push = false\n[partners.github]\nurl = '" +
              provider.Url("/partner") + "'\n");
  const std::string token = GithubToken(701);
  s.Commit({{"app/notes.txt", "text\n" + token + "\n"}});
  const std::string commit = s.Head();
  REQUIRE(s.Push().code == 0);

  // Until notify runs, the token waits in a private file the hook fsynced before answering.
  const std::string outbox = s.bare() + "/secretgate/partner-outbox";
  auto pending = Files(outbox);
  REQUIRE(pending.size() == 1);
  CHECK(Mode(outbox) == 0700);
  CHECK(Mode(pending[0]) == 0600);
  CHECK(provider.Requests().empty());
  CHECK(!Contains(ReadFileOrEmpty(s.bare() + "/secretgate/journal.jsonl"), token));

  auto run = s.Sg("notify --repo " + Quote(s.bare()));
  REQUIRE_MESSAGE(run.code == 0, run.out << run.err);
  auto requests = provider.Requests();
  REQUIRE(requests.size() == 1);
  const SinkRequest& r = requests[0];
  CHECK(r.method == "POST");
  CHECK(json::parse(r.body) == json::array({{{"token", token},
                                             {"type", "github-pat-classic"},
                                             {"url", s.bare() + ":app/notes.txt@" + commit},
                                             {"source", "secretgate"}}}));
  // Delivered: the plain token is gone from the server.
  CHECK(Files(outbox).empty());
  std::string log = ReadFileOrEmpty(s.bare() + "/secretgate/notify/deliveries.jsonl");
  CHECK(Contains(log, "\"kind\":\"partner\""));
  CHECK(!Contains(log, token));

  // The provider verifies with the key `secretgate partner key` publishes (README's recipe).
  auto key = s.Sg("partner key --repo " + Quote(s.bare()));
  REQUIRE(key.code == 0);
  const size_t end = key.out.find("-----END PUBLIC KEY-----\n");
  REQUIRE(end != std::string::npos);
  const std::string pem = key.out.substr(0, end + 25);
  const std::string id = key.out.substr(key.out.find("key identifier: ") + 16, 64);
  CHECK(Mode(s.bare() + "/secretgate/partner-key.pem") == 0600);
  CHECK(r.headers.at("secretgate-public-key-identifier") == id);
  TempDir v;
  WriteFile(v / "pub.pem", pem);
  WriteFile(v / "body", r.body);
  WriteFile(v / "sig.der", Base64Decode(r.headers.at("secretgate-public-key-signature")));
  auto verified = Sh("openssl dgst -sha256 -verify pub.pem -signature sig.der body", v.path());
  CHECK_MESSAGE(verified.code == 0, verified.out << verified.err);
  CHECK(Contains(verified.out, "Verified OK"));
  WriteFile(v / "body", r.body + " ");
  CHECK(Sh("openssl dgst -sha256 -verify pub.pem -signature sig.der body", v.path()).code != 0);
  auto der_hash = Sh("openssl pkey -pubin -in pub.pem -outform DER | sha256sum", v.path());
  CHECK(der_hash.out.substr(0, 64) == id);
  // The JSON form carries the same key.
  auto as_json = json::parse(s.Sg("partner key --format json --repo " + Quote(s.bare())).out);
  CHECK(as_json["key_identifier"] == id);
  CHECK(as_json["public_key"] == pem);
}

TEST_CASE(
    "a partner endpoint that fails keeps the token for a later run; without one no token is "
    "written") {
  SinkServer provider;
  provider.SetControl(R"({"mode":"fail","status":503})");
  GitServer s;
  s.SetConfig(
      "mode = 'audit'\n[notify]\nafter_push = false\nretry_initial = 600\n"
      "[partners.github]\nurl = '" +
      provider.Url("/partner") + "'\n");
  s.Commit({{"a.txt", GithubToken(711) + "\n"}});
  REQUIRE(s.Push().code == 0);
  CHECK(s.Sg("notify --repo " + Quote(s.bare())).code == 1);
  CHECK(Files(s.bare() + "/secretgate/partner-outbox").size() == 1);
  auto status = json::parse(s.Sg("notify --status --format json --repo " + Quote(s.bare())).out);
  CHECK(status[0]["sinks"][0]["name"] == "partner-github");
  CHECK(status[0]["sinks"][0]["pending"] == 1);
  CHECK(status[0]["sinks"][0]["last_error"] == "HTTP 503");
  provider.SetControl(R"({"mode":"ok"})");
  CHECK(s.Sg("notify --retry-now --repo " + Quote(s.bare())).code == 0);
  CHECK(provider.Requests().size() == 2);
  CHECK(Files(s.bare() + "/secretgate/partner-outbox").empty());

  // A provider with no partner endpoint configured: the token is never written in plain.
  GitServer plain;
  plain.SetConfig("mode = 'audit'\n[[webhooks]]\nurl = '" + provider.Url() +
                  "'\nsecret = 'k'\n"
                  "[notify]\nafter_push = false\n");
  const std::string token = GithubToken(712);
  plain.Commit({{"b.txt", token + "\n"}});
  REQUIRE(plain.Push().code == 0);
  CHECK(!PathExists(plain.bare() + "/secretgate/partner-outbox"));
  CHECK(Sh("grep -rl " + Quote(token) + " secretgate/ || true", plain.bare()).out.empty());
}
