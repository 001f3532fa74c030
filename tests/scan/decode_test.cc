// Base64-encoded secrets: found by decoding, reported where the encoded text is.
#include "scan/decode.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <random>

#include "helpers.h"
#include "rules/loader.h"
#include "scan/engine.h"

using namespace sg;
using sg::testing::Base64;
using sg::testing::RandomChars;

namespace {

constexpr char kRules[] = R"(
[[rules]]
id = "test-jwt"
name = "JWT"
provider = "jwt"
confidence = "medium"
regex = '''\b(eyJ[A-Za-z0-9_-]{10,500}\.eyJ[A-Za-z0-9_-]{10,500}\.[A-Za-z0-9_-]{20,500})(?:[^A-Za-z0-9_-]|$)'''
keywords = ["eyJ"]
references = ["https://example.invalid"]
examples = ["x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3In0.aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0"]
negative_examples = ["eyJ"]

[[rules]]
id = "test-private-key"
name = "Private key"
provider = "private-key"
confidence = "high"
regex = '''(-----BEGIN RSA PRIVATE KEY-----[\s\S]{64,4000}?-----END RSA PRIVATE KEY-----)'''
keywords = ["-----BEGIN RSA PRIVATE KEY-----"]
references = ["https://example.invalid"]
examples = ['''-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/Iz
-----END RSA PRIVATE KEY-----''']
negative_examples = ["-----BEGIN RSA PRIVATE KEY-----"]

[[rules]]
id = "generic-password-assignment"
name = "Password"
provider = "generic"
confidence = "low"
regex = '''(?i)password[\w.-]{0,12}["']?\s{0,3}[:=]\s{0,3}["']?([^\s"']{6,64})'''
keywords = ["password"]
references = ["https://example.invalid"]
examples = ["password = Sup3r-s3cret"]
negative_examples = ["password = x"]

[[rules]]
id = "zentrix-key"
name = "Zentrix key"
provider = "zentrix"
confidence = "high"
regex = '''\b(zx_[A-Za-z0-9]{30})\b'''
keywords = ["zx_"]
references = ["https://example.invalid"]
examples = ["zx_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy"]
negative_examples = ["zx_"]
)";

std::shared_ptr<const scan::Engine> Engine() {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "rules.toml", kRules);
  auto loaded = rules::LoadRules({dir / "rules.toml"});
  REQUIRE(loaded.ok());
  auto engine = scan::Engine::Build(std::move(loaded.set), {});
  REQUIRE(engine.ok());
  return *engine;
}

const std::string kAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string PemKey(unsigned seed) {
  std::string body;
  for (int i = 0; i < 6; ++i) body += RandomChars(seed + i, 64, kAlnum + "+/") + "\n";
  return "-----BEGIN RSA PRIVATE KEY-----\n" + body + "-----END RSA PRIVATE KEY-----\n";
}

}  // namespace

TEST_CASE("a base64-wrapped JWT is found at the encoded text, with the decoded secret") {
  scan::Scanner s(Engine());
  const std::string jwt = sg::testing::Jwt(11);
  const std::string wrapped = Base64("Bearer " + jwt);
  const std::string text = "# session\nAUTH_BLOB=" + wrapped + "\n";
  auto res = s.Scan(text);
  REQUIRE(res.ok());
  REQUIRE(res->size() == 1);
  const auto& f = (*res)[0];
  CHECK(f.rule->id == "test-jwt");
  CHECK(f.encoding == "base64");
  CHECK(f.secret == jwt);
  CHECK(f.start == text.find(wrapped));
  CHECK(f.end == f.start + wrapped.size());
  CHECK(f.start_line == 2);
  CHECK(f.start_column == 11);
}

TEST_CASE("a base64-wrapped PEM key is found") {
  scan::Scanner s(Engine());
  auto res = s.Scan("key: " + Base64(PemKey(20)) + "\n");
  REQUIRE(res.ok());
  REQUIRE(res->size() == 1);
  CHECK((*res)[0].rule->id == "test-private-key");
  CHECK((*res)[0].start_column == 6);
}

TEST_CASE("Kubernetes Secret data values are decoded with their key, so key-bound rules apply") {
  scan::Scanner s(Engine());
  const std::string password = "Wint3r-" + RandomChars(30, 6, kAlnum);
  const std::string token = "zx_" + RandomChars(31, 30, kAlnum);
  const std::string yaml =
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\n"
      "data:\n  username: " +
      Base64("app") + "\n  password: " + Base64(password) + "\n  api-key: \"" + Base64(token) +
      "\"\n";
  auto res = s.Scan(yaml);
  REQUIRE(res.ok());
  REQUIRE(res->size() == 2);
  CHECK((*res)[0].rule->id == "generic-password-assignment");
  CHECK((*res)[0].secret == password);
  CHECK((*res)[0].start_line == 8);
  CHECK((*res)[0].start_column == 13);
  CHECK((*res)[1].rule->id == "zentrix-key");
  CHECK((*res)[1].start_line == 9);

  const std::string json =
      R"({"apiVersion":"v1","kind":"Secret","data":{"password":")" + Base64(password) + R"("}})";
  auto jres = s.Scan(json);
  REQUIRE(jres.ok());
  REQUIRE(jres->size() == 1);
  CHECK((*jres)[0].secret == password);
  CHECK((*jres)[0].start == json.find(Base64(password)));
}

TEST_CASE("the word Secret is found at every offset, past near misses, up to the buffer's end") {
  // The search tests 16 positions at a time for the first and last byte of the word: shift the
  // declaration across those blocks, after text full of capital S, t and words like it.
  const std::string value = Base64("Wint3r-" + RandomChars(45, 33, kAlnum));
  const std::string misses = "Sx Set SecreT Sabcdt Secrets SecretProviderClass STSt ";
  for (size_t k = 0; k <= 40; ++k) {
    CAPTURE(k);
    const std::string filler = std::string(k, 'S') + misses;
    const std::string yaml = filler + "\nkind: Secret\ndata:\n  password: " + value + "\n";
    auto found = scan::FindEncoded(yaml);
    REQUIRE(found.size() == 1);
    CHECK(found[0].kubernetes);
    CHECK(found[0].start == yaml.find(value));
    // The declaration last in the buffer: the word is the buffer's final bytes but one.
    const std::string json =
        "{\"data\":{\"password\":\"" + value + "\"}," + filler + "\"kind\":\"Secret\"";
    auto tail = scan::FindEncoded(json);
    REQUIRE(tail.size() == 1);
    CHECK(tail[0].kubernetes);
    // Only near misses: nothing declares a Secret, so the value is a free-standing run.
    auto none = scan::FindEncoded(filler + "\nkind: Secrets\ndata:\n  password: " + value + "\n");
    REQUIRE(none.size() == 1);
    CHECK_FALSE(none[0].kubernetes);
  }
}

TEST_CASE("a data value outside a Kubernetes Secret, and binary base64, are not decoded") {
  scan::Scanner s(Engine());
  const std::string password = "Wint3r-" + RandomChars(40, 6, kAlnum);
  auto config_map = s.Scan("kind: ConfigMap\ndata:\n  password: " + Base64(password) + "\n");
  REQUIRE(config_map.ok());
  for (const auto& f : *config_map) CHECK(f.encoding.empty());
  std::string binary;
  for (int i = 0; i < 96; ++i) binary += static_cast<char>((i * 37 + 11) % 256);
  CHECK(scan::FindEncoded("blob: " + Base64(binary) + "\n").empty());
}

TEST_CASE("generic rules do not apply to a free-standing base64 document") {
  // An embedded document (a source map, a JSON blob) has `password = ...` lines of its own.
  scan::Scanner s(Engine());
  const std::string doc = "function login() { const password = 'Hunter22x'; }\n";
  CHECK(s.Scan("//# sourceMappingURL=data:application/json;base64," + Base64(doc) + "\n")->empty());
  const std::string token = "zx_" + RandomChars(41, 30, kAlnum);
  CHECK(s.Scan("blob = " + Base64("config = {'key': '" + token + "'}") + "\n")->size() == 1);
}

TEST_CASE("base64 decoding follows RFC 4648 and refuses impossible input") {
  CHECK(scan::DecodeBase64("aGVsbG8gd29ybGQ=") == "hello world");
  CHECK(scan::DecodeBase64("aGVsbG8gd29ybGQ") == "hello world");
  CHECK(!scan::DecodeBase64("aGVsb"));
  CHECK(!scan::DecodeBase64("aGV$bG8="));
  CHECK(scan::LooksLikeText("a\tb\nc"));
  CHECK(!scan::LooksLikeText(std::string("a\0b", 3)));
}

TEST_CASE("base64 of a JSON document is decoded, a JWT's segments are not") {
  scan::Scanner s(Engine());
  const std::string token = "zx_" + RandomChars(50, 30, kAlnum);
  const std::string blob = Base64("{\"auths\": {\"registry.acme.io\": {\"key\": \"" + token + "\"}}}");
  REQUIRE(blob.rfind("eyJ", 0) == 0);
  auto res = s.Scan("{\"dockerconfig\": \"" + blob + "\"}\n");
  REQUIRE(res.ok());
  REQUIRE(res->size() == 1);
  CHECK((*res)[0].rule->id == "zentrix-key");
  CHECK((*res)[0].encoding == "base64");
  // A JWT whose claims hold such a token is one JWT, not a decoded token.
  auto jwt = s.Scan("Bearer " + sg::testing::Jwt(51, "\"k\":\"" + token + "\",") + "\n");
  REQUIRE(jwt.ok());
  REQUIRE(jwt->size() == 1);
  CHECK((*jwt)[0].rule->id == "test-jwt");
}

TEST_CASE("the block-wise search finds exactly the runs a byte-by-byte walk finds") {
  // The reference: every maximal run of the base64 alphabet, walked byte by byte, kept when it
  // is min_run long or longer (the length filter is all the 64-byte masks change).
  auto is_b64 = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  };
  auto long_runs = [&](const std::string& s, size_t min_run) {
    std::vector<std::pair<size_t, size_t>> out;
    for (size_t i = 0; i < s.size();) {
      if (!is_b64(s[i])) {
        ++i;
        continue;
      }
      size_t e = i;
      while (e < s.size() && is_b64(s[e])) ++e;
      if (e - i >= min_run) out.emplace_back(i, e);
      i = e;
    }
    return out;
  };
  const std::string text = "The secret is " + Base64("password: correct horse battery staple") +
                           " here, and " + Base64("api_key = 'K7xQ9mZ2vL8pR4tN6wY1'") + ".";
  const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 300; ++trial) {
    CAPTURE(trial);
    // Words of 1-40 characters of the alphabet (now and then up to 200, across 64-byte blocks),
    // separated by blanks, punctuation, the bytes next to the alphabet's ranges and bytes
    // above 0x7f, with a real base64 text now and then: every alignment of a run against the
    // blocks, and runs carried from one block into the next.
    std::string s;
    while (s.size() < 2000) {
      const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
      if (kind == 0) {
        s += text;
      } else {
        const size_t longest = kind == 1 ? 200 : 40;
        s += RandomChars(rng(), std::uniform_int_distribution<size_t>(1, longest)(rng), kAlphabet);
      }
      static const std::string kSeparators(" .,\n=\t:@[`{*-_\x80\xff\0", 17);
      s += kSeparators[std::uniform_int_distribution<size_t>(0, kSeparators.size() - 1)(rng)];
    }
    scan::DecodeLimits limits;
    limits.min_run = std::uniform_int_distribution<size_t>(1, trial % 3 == 0 ? 100 : 40)(rng);
    const auto expected = long_runs(s, limits.min_run);
    // Every run FindEncoded reports is one of them (padding aside), and every one of them that
    // decodes to text is reported.
    const auto found = scan::FindEncoded(s, limits);
    for (const auto& e : found) {
      size_t end = e.end;
      while (end > e.start && s[end - 1] == '=') --end;
      CHECK(std::find(expected.begin(), expected.end(), std::make_pair(e.start, end)) !=
            expected.end());
    }
    for (const auto& [b, e] : expected) {
      const std::string run = s.substr(b, e - b);
      bool mixed = std::any_of(run.begin(), run.end(), ::isupper) &&
                   std::any_of(run.begin(), run.end(), ::islower) &&
                   std::any_of(run.begin(), run.end(), ::isdigit);
      auto decoded = scan::DecodeBase64(run);
      if (!mixed || !decoded || !scan::LooksLikeText(*decoded) || run.rfind("eyJ", 0) == 0)
        continue;
      const bool reported = std::any_of(found.begin(), found.end(),
                                        [&](const scan::EncodedText& t) { return t.start == b; });
      CHECK_MESSAGE(reported, run);
    }
  }
}
