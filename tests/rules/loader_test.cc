#include <doctest/doctest.h>

#include "helpers.h"
#include "rules/loader.h"
#include "scan/engine.h"

using namespace sg;
using sg::testing::TempDir;

namespace {
rules::LoadResult LoadText(const std::string& text) {
  TempDir dir;
  sg::testing::WriteFile(dir / "r.toml", text);
  auto res = rules::LoadRules({dir / "r.toml"});
  for (auto& e : res.errors) e.file = "r.toml";
  return res;
}
constexpr char kGood[] = R"([[rules]]
id = "x"
name = "X"
provider = "p"
confidence = "high"
regex = '''(x_[a-z]{8})'''
keywords = ["x_"]
references = ["https://example.invalid"]
examples = ["x_abcdefgh"]
negative_examples = ["x_ab"]
)";
}  // namespace

TEST_CASE("a valid rule loads with its defaults") {
  auto res = LoadText(kGood);
  REQUIRE(res.ok());
  REQUIRE(res.set.rules.size() == 1);
  CHECK(res.set.rules[0].secret_group == 1);
  CHECK(res.set.rules[0].line == 1);
  CHECK(res.set.digest.size() == 64);
}

TEST_CASE("bad TOML is reported with file and line") {
  auto res = LoadText("[[rules]]\nid = \"x\"\nname = \n");
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].ToString().rfind("r.toml:3: invalid TOML", 0) == 0);
}

TEST_CASE("a regex that does not compile is reported at its line") {
  std::string text = kGood;
  text.replace(text.find("(x_[a-z]{8})"), 12, "(x_[a-z{8}");
  auto res = LoadText(text);
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].line == 6);
  CHECK(res.errors[0].message.find("regex does not compile") != std::string::npos);
}

TEST_CASE("a missing required field names the field and the rule's line") {
  std::string text = "# comment\n" + std::string(kGood);
  text.erase(text.find("provider = \"p\"\n"), 15);
  auto res = LoadText(text);
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].ToString() == "r.toml:2: missing required field 'provider'");
}

TEST_CASE("unknown fields, bad confidence and an out-of-range secret_group are errors") {
  std::string text = kGood;
  text += "colour = \"red\"\nsecret_group = 3\n";
  text.replace(text.find("\"high\""), 6, "\"sure\"");
  auto res = LoadText(text);
  std::string all;
  for (const auto& e : res.errors) all += e.ToString() + "\n";
  CHECK(all.find("unknown field 'colour'") != std::string::npos);
  CHECK(all.find("confidence must be high, medium or low") != std::string::npos);
  CHECK(all.find("secret_group 3 but the regex has only 1") != std::string::npos);
}

TEST_CASE("duplicate ids and unknown companions are reported") {
  std::string text = std::string(kGood) + kGood + "[rules.requires]\nrule = \"nope\"\n";
  auto res = LoadText(text);
  std::string all;
  for (const auto& e : res.errors) all += e.ToString() + "\n";
  CHECK(all.find("duplicate rule id 'x'") != std::string::npos);
  CHECK(all.find("unknown rule 'nope'") != std::string::npos);
}

TEST_CASE("a missing rules file is an error naming it") {
  auto res = rules::LoadRules({"/nonexistent/rules.toml"});
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].ToString().find("/nonexistent/rules.toml") != std::string::npos);
}

TEST_CASE("regex macros expand to the shared key-to-value fragments and unknown ones are errors") {
  std::string text = kGood;
  text.replace(text.find("'''(x_[a-z]{8})'''"), 18, "'''(?i:x_key){{kv}}([a-z]{8})'''");
  auto res = LoadText(text);
  REQUIRE(res.ok());
  const std::string& re = res.set.rules[0].regex;
  CHECK(re.find("{{") == std::string::npos);
  CHECK(re.rfind("(?i:x_key)[\\w.\\-]{0,32}?", 0) == 0);

  text = kGood;
  text.replace(text.find("'''(x_[a-z]{8})'''"), 18, "'''x{{nearby}}([a-z]{8})'''");
  res = LoadText(text);
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].line == 6);
  CHECK(res.errors[0].message.find("unknown regex macro '{{nearby}}'") != std::string::npos);
}

TEST_CASE("{{key}} takes a value set to a key near the name, not any value near the word") {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "r.toml", R"toml([[rules]]
id = "modal-token-secret"
name = "Modal token secret"
provider = "modal"
confidence = "medium"
regex = '''(?i:\bmodal){{key}}\b(as-[A-Za-z0-9]{22})\b'''
keywords = ["modal"]
references = ["https://example.invalid"]
examples = ["MODAL_TOKEN_SECRET=as-Q7w3E9r2T5y8U1i4O6p0Az"]
negative_examples = ["modal"]
)toml");
  auto loaded = rules::LoadRules({dir / "r.toml"});
  REQUIRE(loaded.ok());
  auto engine = scan::Engine::Build(std::move(loaded.set), {});
  REQUIRE(engine.ok());
  scan::Scanner s(*engine);
  const std::string v = "as-Q7w3E9r2T5y8U1i4O6p0Az";
  CHECK(s.Scan("MODAL_TOKEN_SECRET=" + v + "\n")->size() == 1);
  CHECK(s.Scan("modal:\n  token_secret: \"" + v + "\"\n")->size() == 1);
  CHECK(s.Scan("client = modal.Client(token_secret='" + v + "')\n")->size() == 1);
  CHECK(s.Scan("<div class=\"modal\">" + v + "</div>\n")->empty());
  CHECK(s.Scan("openModal(); // " + v + "\n")->empty());
}
