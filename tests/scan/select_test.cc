// Filter interplay: which rule keeps a span, pattern pairs, the placeholder filter's scope,
// allowlists on the match, percent-encoded secrets.
#include <doctest/doctest.h>

#include "helpers.h"
#include "rules/loader.h"
#include "scan/engine.h"

using namespace sg;
using sg::testing::RandomChars;

namespace {

constexpr char kRules[] = R"(
[[rules]]
id = "acme-key-id"
name = "Acme key id"
provider = "acme"
confidence = "low"
regex = '''\b(AKX[A-Z0-9]{13})\b'''
keywords = ["akx"]
references = ["https://example.invalid"]
examples = ["AKXQ7W3E9R2T5Y8U"]
negative_examples = ["AKX"]

[[rules]]
id = "acme-secret"
name = "Acme secret"
provider = "acme"
confidence = "high"
regex = '''(?i)secret[\w.-]{0,12}\s{0,3}=\s{0,3}([A-Za-z0-9]{32})\b'''
keywords = ["secret"]
references = ["https://example.invalid"]
examples = ['''AKXQ7W3E9R2T5Y8U
SECRET = Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Jh9Gf0Ab''']
negative_examples = ["SECRET = Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Jh9Gf0Ab"]
[rules.requires]
rule = "acme-key-id"
within_lines = 3

[[rules]]
id = "generic-secret-assignment"
name = "Generic secret"
provider = "generic"
confidence = "low"
regex = '''(?i)(?:secret|token)[\w.-]{0,12}\s{0,3}=\s{0,3}([A-Za-z0-9]{16,64})\b'''
keywords = ["secret", "token"]
references = ["https://example.invalid"]
examples = ["SECRET = Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Jh9Gf0Ab"]
negative_examples = ["SECRET = short"]

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
id = "mondo-token"
name = "Mondo API token"
provider = "mondo"
confidence = "medium"
regex = '''(?i:mondo){{kv}}(eyJ[A-Za-z0-9_-]{10,500}\.eyJ[A-Za-z0-9_-]{10,500}\.[A-Za-z0-9_-]{20,500})(?:[^A-Za-z0-9_-]|$)'''
keywords = ["mondo"]
references = ["https://example.invalid"]
examples = ["MONDO_TOKEN=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3In0.aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0"]
negative_examples = ["mondo"]

[[rules]]
id = "test-pem"
name = "PKCS#8 private key"
provider = "private-key"
confidence = "high"
regex = '''(-----BEGIN PRIVATE KEY-----[A-Za-z0-9+/=\\n]{20,2000}-----END PRIVATE KEY-----)'''
keywords = ["-----BEGIN PRIVATE KEY-----"]
references = ["https://example.invalid"]
examples = ["-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-----END PRIVATE KEY-----"]
negative_examples = ["-----BEGIN PRIVATE KEY-----"]

[[rules]]
id = "cloudco-service-key"
name = "Cloudco service account key"
provider = "cloudco"
confidence = "high"
regex = '''"private_key"\s{0,3}:\s{0,3}"(-----BEGIN PRIVATE KEY-----[A-Za-z0-9+/=\\n]{20,2000}-----END PRIVATE KEY-----)'''
keywords = ["private_key"]
references = ["https://example.invalid"]
examples = ['"private_key": "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-----END PRIVATE KEY-----"']
negative_examples = ["private_key"]

[[rules]]
id = "sendbolt-token"
name = "Sendbolt token"
provider = "sendbolt"
confidence = "medium"
regex = '''(?i:sendbolt){{kv}}([0-9a-f]{40})\b'''
keywords = ["sendbolt"]
references = ["https://example.invalid"]
examples = ["SENDBOLT_TOKEN=3f786850e387550fdab836ed7e6dc881de23001b"]
negative_examples = ["sendbolt"]

[[rules]]
id = "zentrix-key"
name = "Zentrix key"
provider = "zentrix"
confidence = "high"
regex = '''\b(zx_[A-Za-z0-9]{30})\b'''
keywords = ["zentrix", "zx_"]
references = ["https://example.invalid"]
examples = ["zx_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy"]
negative_examples = ["zx_"]

[[rules]]
id = "test-url"
name = "URL with password"
provider = "generic"
confidence = "medium"
regex = '''\bhttps?://[^\s:@/]{1,50}:([^\s@/]{3,80})@(?:[A-Za-z0-9-]{1,63}\.){0,6}[A-Za-z0-9-]{1,63}'''
keywords = ["://"]
references = ["https://example.invalid"]
examples = ["https://bob:Tr0ub4dor3xq@git.corp.io/x"]
negative_examples = ["https://bob:pass@git.corp.io/x"]
[rules.allowlist]
regexes = ['''(?i)^p[a@]ss(?:[\W_]?word)?$''']
match_regexes = ['''@(?:[A-Za-z0-9-]{1,63}\.)*example\.(?:com|org|net)$''']
line_regexes = ['''# fixture''']
)";

std::shared_ptr<const scan::Engine> Engine() {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "rules.toml", kRules);
  auto loaded = rules::LoadRules({dir / "rules.toml"});
  for (const auto& e : loaded.errors) MESSAGE(e.ToString());
  REQUIRE(loaded.ok());
  auto engine = scan::Engine::Build(std::move(loaded.set), {});
  REQUIRE(engine.ok());
  return *engine;
}

std::vector<std::string> Ids(const Result<std::vector<scan::Finding>>& res) {
  REQUIRE(res.ok());
  std::vector<std::string> ids;
  for (const auto& f : *res) ids.push_back(f.rule->id);
  return ids;
}

const std::string kAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const std::string kHex = "0123456789abcdef";

}  // namespace

TEST_CASE(
    "a generic finding shadowed by a pair rule survives when the pair's companion is absent") {
  scan::Scanner s(Engine());
  const std::string line = "APP_SECRET = " + RandomChars(1, 32, kAlnum) + "\n";
  CHECK(Ids(s.Scan(line)) == std::vector<std::string>{"generic-secret-assignment"});
  // With the companion nearby the pair rule takes the span, and the companion is reported.
  CHECK(Ids(s.Scan("AKXQ7W3E9R2T5Y8U\n" + line)) ==
        std::vector<std::string>{"acme-key-id", "acme-secret"});
}

TEST_CASE("a provider rule that binds its name to a JWT beats the format-only JWT rule") {
  scan::Scanner s(Engine());
  const std::string jwt = sg::testing::Jwt(2);
  CHECK(Ids(s.Scan("MONDO_JWT=" + jwt + "\n")) == std::vector<std::string>{"mondo-token"});
  CHECK(Ids(s.Scan("session: " + jwt + "\n")) == std::vector<std::string>{"test-jwt"});
}

TEST_CASE("a provider's rule for its private key beats the PEM rule on the same bytes") {
  scan::Scanner s(Engine());
  const std::string pem = "-----BEGIN PRIVATE KEY-----" + RandomChars(5, 64, kAlnum) +
                          "\\n" + RandomChars(6, 64, kAlnum) + "-----END PRIVATE KEY-----";
  CHECK(Ids(s.Scan("{\"type\": \"x\", \"private_key\": \"" + pem + "\"}\n")) ==
        std::vector<std::string>{"cloudco-service-key"});
  CHECK(Ids(s.Scan("key = '" + pem + "'\n")) == std::vector<std::string>{"test-pem"});
}

TEST_CASE("the hash and UUID filter applies to generic rules only") {
  scan::Scanner s(Engine());
  const std::string hex = RandomChars(3, 40, kHex);
  // A medium provider rule keeps a 40-hex value bound to its name.
  CHECK(Ids(s.Scan("SENDBOLT_TOKEN=" + hex + "\n")) == std::vector<std::string>{"sendbolt-token"});
  // A generic rule drops it under a key that names nothing (a commit id, a digest) ...
  CHECK(Ids(s.Scan("BUILD_TOKEN = " + hex + "\n")).empty());
  // ... but not under a key that names a provider the pack knows.
  CHECK(Ids(s.Scan("ZENTRIX_TOKEN = " + hex + "\n")) ==
        std::vector<std::string>{"generic-secret-assignment"});
  // A provider's name inside another word does not count.
  CHECK(Ids(s.Scan("UNZENTRIXED_TOKEN = " + hex + "\n")).empty());
}

TEST_CASE("percent-encoded placeholder passwords in URLs are not secrets") {
  scan::Scanner s(Engine());
  CHECK(Ids(s.Scan("url = https://bob:pass%40word@git.corp.io/r\n")).empty());
  CHECK(Ids(s.Scan("url = https://bob:p%40ss@git.corp.io/r\n")).empty());
  auto real = s.Scan("url = https://bob:Tr0ub%40dor3xq@git.corp.io/r\n");
  REQUIRE(Ids(real) == std::vector<std::string>{"test-url"});
  CHECK((*real)[0].secret == "Tr0ub%40dor3xq");  // reported as written
}

TEST_CASE("allowlist regexes on the whole match and on the line drop a finding") {
  scan::Scanner s(Engine());
  CHECK(Ids(s.Scan("https://bob:Tr0ub4dor3xq@docs.example.com/r\n")).empty());
  CHECK(Ids(s.Scan("https://bob:Tr0ub4dor3xq@git.corp.io/r  # fixture\n")).empty());
  CHECK(Ids(s.Scan("https://bob:Tr0ub4dor3xq@example.community/r\n")).size() == 1);
}
