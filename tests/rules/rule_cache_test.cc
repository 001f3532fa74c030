#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>

#include <doctest/doctest.h>

#include "helpers.h"
#include "rules/rule_cache.h"

using namespace sg;
using sg::testing::TempDir;

namespace {


void CheckSameRules(const rules::RuleSet& a, const rules::RuleSet& b) {
  CHECK(a.digest == b.digest);
  REQUIRE(a.rules.size() == b.rules.size());
  for (size_t i = 0; i < a.rules.size(); ++i) {
    const auto& x = a.rules[i];
    const auto& y = b.rules[i];
    CAPTURE(x.id);
    CHECK(x.id == y.id);
    CHECK(x.name == y.name);
    CHECK(x.provider == y.provider);
    CHECK(x.confidence == y.confidence);
    CHECK(x.regex == y.regex);
    CHECK(x.secret_group == y.secret_group);
    CHECK(x.keywords == y.keywords);
    CHECK(x.entropy == y.entropy);
    CHECK(x.validator == y.validator);
    CHECK(x.allowlist.regexes == y.allowlist.regexes);
    CHECK(x.allowlist.paths == y.allowlist.paths);
    CHECK(x.allowlist.stopwords == y.allowlist.stopwords);
    CHECK(x.mode == y.mode);
    CHECK(x.path_regex == y.path_regex);
    CHECK(x.file == y.file);
    CHECK(x.line == y.line);
    REQUIRE(x.requires_companion.has_value() == y.requires_companion.has_value());
    if (x.requires_companion) {
      CHECK(x.requires_companion->rule == y.requires_companion->rule);
      CHECK(x.requires_companion->within_lines == y.requires_companion->within_lines);
    }
  }
}

}  // namespace

TEST_CASE("the rules cache gives back every rule of the shipped pack as the TOML load did") {
  TempDir cache;
  const std::string pack = sg::testing::SourceDir() + "/rules";
  auto cold = rules::LoadRulesCached({pack}, cache.path());
  REQUIRE(cold.ok());
  CHECK(!cold.from_cache);
  CHECK(cold.set.rules.size() >= 150);
  auto warm = rules::LoadRulesCached({pack}, cache.path());
  REQUIRE(warm.ok());
  CHECK(warm.from_cache);
  CheckSameRules(cold.set, warm.set);
  bool companion = false;
  for (const auto& r : warm.set.rules) companion |= r.requires_companion.has_value();
  CHECK(companion);  // the pack's AWS pair went through the cache too
}

TEST_CASE("an edited rule file, or a damaged or truncated cache, is read again from the TOML") {
  TempDir src, cache;
  const std::string file = src / "r.toml";
  auto rule = [](const std::string& name) {
    return "[[rules]]\nid = \"x\"\nname = \"" + name +
           "\"\nprovider = \"p\"\nconfidence = \"high\"\nregex = '''(x_[a-z]{8})'''\n"
           "keywords = [\"x_\"]\nreferences = [\"https://example.invalid\"]\n"
           "examples = [\"x_abcdefgh\", \"x_bcdefghi\"]\nnegative_examples = [\"x_ab\"]\n";
  };
  sg::testing::WriteFile(file, rule("First"));
  REQUIRE(rules::LoadRulesCached({file}, cache.path()).ok());
  auto warm = rules::LoadRulesCached({file}, cache.path());
  REQUIRE(warm.from_cache);
  CHECK(warm.set.rules.at(0).name == "First");

  // An edit (same size, so only the modification time and content differ) is seen.
  sg::testing::WriteFile(file, rule("Other"));
  struct timespec later[2] = {{0, UTIME_OMIT}, {2000000000, 0}};
  REQUIRE(::utimensat(AT_FDCWD, file.c_str(), later, 0) == 0);
  auto edited = rules::LoadRulesCached({file}, cache.path());
  CHECK(!edited.from_cache);
  CHECK(edited.set.rules.at(0).name == "Other");

  // A flipped byte in the cached rule: the checksum catches it, the TOML is loaded again.
  auto again = rules::LoadRulesCached({file}, cache.path());
  REQUIRE(again.from_cache);
  std::string cached;
  for (const auto& e : std::filesystem::directory_iterator(cache.path())) {
    std::string text = sg::testing::ReadFileOrEmpty(e.path().string());
    if (text.find("Other") != std::string::npos) cached = e.path().string();
  }
  REQUIRE(!cached.empty());
  std::string text = sg::testing::ReadFileOrEmpty(cached);
  text[text.find("Other")] = 'X';
  sg::testing::WriteFile(cached, text);
  auto damaged = rules::LoadRulesCached({file}, cache.path());
  CHECK(!damaged.from_cache);
  REQUIRE(damaged.ok());
  CHECK(damaged.set.rules.at(0).name == "Other");

  // A truncated cache likewise, and the next load is from a rewritten cache.
  text = sg::testing::ReadFileOrEmpty(cached);
  sg::testing::WriteFile(cached, text.substr(0, text.size() / 2));
  auto truncated = rules::LoadRulesCached({file}, cache.path());
  CHECK(!truncated.from_cache);
  CHECK(truncated.set.rules.at(0).name == "Other");
  CHECK(rules::LoadRulesCached({file}, cache.path()).from_cache);
}

TEST_CASE("a cache folder that cannot be written only costs a parse") {
  TempDir src;
  const std::string file = src / "r.toml";
  sg::testing::WriteFile(file, "[[rules]]\nid = \"x\"\nname = \"X\"\nprovider = \"p\"\n"
                               "confidence = \"high\"\nregex = '''(x_[a-z]{8})'''\n"
                               "keywords = [\"x_\"]\nreferences = [\"https://example.invalid\"]\n"
                               "examples = [\"x_abcdefgh\", \"x_bcdefghi\"]\n"
                               "negative_examples = [\"x_ab\"]\n");
  auto res = rules::LoadRulesCached({file}, "/proc/secretgate-no-such-dir");
  REQUIRE(res.ok());
  CHECK(!res.from_cache);
  CHECK(res.set.rules.size() == 1);
}
