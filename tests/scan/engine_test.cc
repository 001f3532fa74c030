#include "scan/engine.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>

#include "helpers.h"
#include "rules/loader.h"
#include "scan/filters.h"

using namespace sg;

namespace {
std::shared_ptr<const scan::Engine> TestEngine(const std::string& cache_dir = "") {
  auto loaded = rules::LoadRules({sg::testing::SourceDir() + "/tests/data/rules/basic.toml"});
  REQUIRE(loaded.ok());
  scan::EngineOptions o;
  o.cache_dir = cache_dir;
  auto e = scan::Engine::Build(std::move(loaded.set), o);
  REQUIRE(e.ok());
  return *e;
}
}  // namespace

TEST_CASE("a token is found with its line, byte column and secret group") {
  scan::Scanner s(TestEngine());
  auto res = s.Scan("first line\n  key: tok_Ab3dEf6hIj9kLm2nOp5q\n");
  REQUIRE(res.ok());
  REQUIRE(res->size() == 1);
  const auto& f = (*res)[0];
  CHECK(f.rule->id == "test-token");
  CHECK(f.secret == "tok_Ab3dEf6hIj9kLm2nOp5q");
  CHECK(f.start_line == 2);
  CHECK(f.start_column == 8);
  CHECK(f.end_column == 31);
}

TEST_CASE("low-entropy and placeholder look-alikes are not findings") {
  scan::Scanner s(TestEngine());
  CHECK(s.Scan("tok_aaaaaaaaaaaaaaaaaaaa")->empty());
  CHECK(s.Scan("tok_EXAMPLEabcdefghijklm")->empty());
}

TEST_CASE("a checksummed token is reported only when its CRC32 holds") {
  scan::Scanner s(TestEngine());
  CHECK(s.Scan("crc_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC01XM6Ea")->size() == 1);
  CHECK(s.Scan("crc_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC01XM6Eb")->empty());
  CHECK(scan::ValidCrc32Token(sg::testing::GithubToken(1)));
}

TEST_CASE("a pattern pair reports the secret only with its companion nearby") {
  scan::Scanner s(TestEngine());
  std::string secret = "secret_key = \"Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Jh9Gf0\"";
  auto alone = s.Scan(secret + "\n");
  CHECK(alone->empty());
  auto near = s.Scan("KIDQ7W3E9R2T5Y8U1I\n" + secret + "\n");
  CHECK(near->size() == 2);
  auto far = s.Scan("KIDQ7W3E9R2T5Y8U1I\n\n\n\n\n\n" + secret + "\n");
  REQUIRE(far->size() == 1);
  CHECK((*far)[0].rule->id == "test-keyid");
}

TEST_CASE("inline allow markers suppress a finding but keep it visible") {
  scan::Scanner s(TestEngine());
  for (std::string marker :
       {"# secretgate:allow", "// gitleaks:allow", "# pragma: allowlist secret"}) {
    auto res = s.Scan("key = tok_Ab3dEf6hIj9kLm2nOp5q " + marker + "\n");
    REQUIRE(res->size() == 1);
    CHECK((*res)[0].suppressed_by.find("inline marker") == 0);
  }
  auto next = s.Scan("# pragma: allowlist nextline secret\nkey = tok_Ab3dEf6hIj9kLm2nOp5q\n");
  REQUIRE(next->size() == 1);
  CHECK(!(*next)[0].suppressed_by.empty());
  auto plain = s.Scan("key = tok_Ab3dEf6hIj9kLm2nOp5q\n");
  CHECK((*plain)[0].suppressed_by.empty());
}

TEST_CASE("a CR-only file with one marker does not suppress the other secrets") {
  // Issue 10 item 7: lines were split on \n only, so one marker covered a whole CR-only file.
  scan::Scanner s(TestEngine());
  for (std::string eol : {"\r", "\r\n"}) {
    CAPTURE(eol.size());
    auto res = s.Scan("a = tok_Ab3dEf6hIj9kLm2nOp5q # secretgate:allow" + eol +
                      "b = tok_Zy3xWv6uTs9rQp2oNm5l" + eol + "c = tok_Qw3eRt6yUi9oPa2sDf5g" + eol);
    REQUIRE(res.ok());
    REQUIRE(res->size() == 3);
    CHECK(!(*res)[0].suppressed_by.empty());
    CHECK((*res)[1].suppressed_by.empty());
    CHECK((*res)[2].suppressed_by.empty());
    CHECK((*res)[1].start_line == 2);  // \r and \r\n end lines for line numbers too
    CHECK((*res)[2].start_line == 3);
  }
  auto next = s.Scan(
      "# pragma: allowlist nextline secret\rkey = tok_Ab3dEf6hIj9kLm2nOp5q\r"
      "key = tok_Zy3xWv6uTs9rQp2oNm5l\r");
  REQUIRE(next->size() == 2);
  CHECK(!(*next)[0].suppressed_by.empty());
  CHECK((*next)[1].suppressed_by.empty());
}

TEST_CASE("a marker 50,000 bytes away on the same line does not suppress a secret") {
  // Issue 10 item 7: in a minified file one marker anywhere on the line suppressed everything.
  scan::Scanner s(TestEngine());
  std::string filler(50000, ' ');
  auto far = s.Scan("var k=\"tok_Ab3dEf6hIj9kLm2nOp5q\";" + filler + "/* secretgate:allow */\n");
  REQUIRE(far->size() == 1);
  CHECK((*far)[0].suppressed_by.empty());
  auto near = s.Scan(filler + "var k=\"tok_Ab3dEf6hIj9kLm2nOp5q\"; // secretgate:allow\n");
  REQUIRE(near->size() == 1);
  CHECK(!(*near)[0].suppressed_by.empty());
}

TEST_CASE("many candidates in one big buffer are each found once") {
  scan::Scanner s(TestEngine());
  std::string data;
  for (int i = 0; i < 2000; ++i)
    data += "x = tok_Ab3dEf6hIj9kLm2nOp5q\n" + std::string(100, 'y') + "\n";
  auto res = s.Scan(data);
  REQUIRE(res.ok());
  CHECK(res->size() == 2000);
  CHECK(res->back().start_line == 3999);
}

TEST_CASE("hostile input cannot make a rule run away") {
  // A pathological pattern under a match limit: the scan ends, promptly, without crashing.
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "evil.toml", R"([[rules]]
id = "evil"
name = "Evil"
provider = "test"
confidence = "low"
regex = '''(?:a|a)*(?:a|a)*(?:a|a)*b'''
keywords = ["a"]
references = ["https://example.invalid"]
examples = ["aab"]
negative_examples = ["c"]
)");
  auto loaded = rules::LoadRules({dir / "evil.toml"});
  REQUIRE(loaded.ok());
  scan::EngineOptions o;
  o.match_limit = 100000;
  auto engine = scan::Engine::Build(std::move(loaded.set), o);
  REQUIRE(engine.ok());
  scan::Scanner s(*engine);
  auto t0 = std::chrono::steady_clock::now();
  auto res = s.Scan(std::string(30000, 'a'));
  CHECK(res.ok());
  (void)t0;
}

TEST_CASE("a warm start loads the compiled database from the cache") {
  sg::testing::TempDir dir;
  auto cold = TestEngine(dir.path());
  CHECK(!cold->cache_hit());
  auto warm = TestEngine(dir.path());
  CHECK(warm->cache_hit());
  CHECK(warm->database_mapped());  // the image is used where it lies in the file
  scan::Scanner s(warm);
  CHECK(s.Scan("tok_Ab3dEf6hIj9kLm2nOp5q")->size() == 1);
}

TEST_CASE("a damaged or truncated compiled cache is recompiled, and the engine still finds") {
  const std::vector<std::pair<std::string, std::function<std::string(const std::string&)>>>
      damages = {
          {"a flipped byte in the database image",
           [](std::string f) {
             f[f.size() - 100] = static_cast<char>(f[f.size() - 100] ^ 0x40);
             return f;
           }},
          {"a flipped byte in the length in a database's header",
           [](std::string f) {  // the first image starts on the first page boundary
             f[4096 + 9] = static_cast<char>(f[4096 + 9] ^ 0x40);
             return f;
           }},
          {"a truncated file", [](const std::string& f) { return f.substr(0, f.size() / 2); }},
          {"a file of zeros", [](const std::string& f) { return std::string(f.size(), '\0'); }},
      };
  for (const auto& [name, damage] : damages) {
    CAPTURE(name);
    sg::testing::TempDir dir;
    REQUIRE(!TestEngine(dir.path())->cache_hit());
    std::string db;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
      if (e.path().filename().string().rfind("hs-", 0) == 0) db = e.path().string();
    }
    REQUIRE(!db.empty());
    const std::string good = sg::testing::ReadFileOrEmpty(db);
    REQUIRE(good.size() > 8192);
    sg::testing::WriteFile(db, damage(good));

    auto engine = TestEngine(dir.path());
    CHECK(!engine->cache_hit());
    scan::Scanner s(engine);
    CHECK(s.Scan("tok_Ab3dEf6hIj9kLm2nOp5q")->size() == 1);
    // The recompile wrote a good cache again.
    CHECK(TestEngine(dir.path())->cache_hit());
  }
}

TEST_CASE("every example and negative example of the test rules holds") {
  auto problems = scan::CheckExamples(TestEngine());
  for (const auto& p : problems) MESSAGE(p);
  CHECK(problems.empty());
}

TEST_CASE(
    "a rule Hyperscan cannot anchor runs in a second pass, only over content with its keyword") {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "r.toml", R"([[rules]]
id = "test-unanchored"
name = "Bootstrap token"
provider = "test"
confidence = "high"
regex = '''\b([a-z0-9]{6}\.[a-z0-9]{16})\b'''
keywords = ["bootstrap"]
references = ["https://example.invalid/bootstrap"]
examples = ["bootstrap: abcdef.0123456789abcdef"]
negative_examples = ["abcdef.0123456789abcdef"]

[[rules]]
id = "test-anchored"
name = "Test token"
provider = "test"
confidence = "high"
regex = '''\b(tok_[A-Za-z0-9]{20})\b'''
keywords = ["tok_"]
references = ["https://example.invalid/tokens"]
examples = ["tok_Ab3dEf6hIj9kLm2nOp5q"]
negative_examples = ["tok_short"]
)");
  for (int warm = 0; warm < 2; ++warm) {  // compiled, then from the cache
    CAPTURE(warm);
    auto loaded = rules::LoadRules({dir / "r.toml"});
    REQUIRE(loaded.ok());
    scan::EngineOptions o;
    o.cache_dir = dir / "cache";
    auto e = scan::Engine::Build(std::move(loaded.set), o);
    REQUIRE(e.ok());
    CHECK((*e)->cache_hit() == (warm == 1));
    CHECK((*e)->compiled(0).group != scan::kMainDatabase);
    CHECK((*e)->compiled(1).group == scan::kMainDatabase);
    REQUIRE((*e)->groups().size() == 1);
    scan::Scanner s(*e);
    std::string filler(100000, 'x');
    auto with =
        s.Scan(filler + "\nBootstrap token: abcdef.0123456789abcdef\ntok_Ab3dEf6hIj9kLm2nOp5q\n");
    REQUIRE(with.ok());
    CHECK(with->size() == 2);
    auto without = s.Scan(filler + "\ntoken: abcdef.0123456789abcdef\n");
    REQUIRE(without.ok());
    CHECK(without->empty());
    auto report = scan::CheckAnchors(**e);
    CHECK(report.warnings.empty());
    REQUIRE(report.notes.size() == 1);
    CHECK(sg::testing::Contains(report.notes[0], "test-unanchored"));
  }
}

TEST_CASE(
    "rules check warns of a rule that slows every scan: no literal to anchor on, only a short "
    "keyword") {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "slow.toml", R"([[rules]]
id = "test-slow"
name = "Slow rule"
provider = "test"
confidence = "low"
regex = '''\b([a-z0-9]{6}\.[a-z0-9]{16})\b'''
keywords = ["."]
references = ["https://example.invalid/slow"]
examples = ["abcdef.0123456789abcdef"]
negative_examples = ["abcdef.0123"]
)");
  auto r = sg::testing::Sh(sg::testing::Binary() + " rules check " +
                           sg::testing::Quote(dir / "slow.toml"));
  CHECK(r.code == 0);  // a warning, not a problem: the rule works, only slowly
  CHECK(sg::testing::Contains(r.out, "slow.toml:1: warning: rule test-slow slows every scan"));
  CHECK(sg::testing::Contains(r.out, "compiled in"));
}

TEST_CASE("names in code are not secrets: words in CamelCase or joined by _ - .") {
  CHECK(scan::PlaceholderReason("NotifyAgentReplicationProgressForMgn", false) == "identifier");
  CHECK(scan::PlaceholderReason("get_user_profile_settings", false) == "identifier");
  CHECK(scan::PlaceholderReason("deployment-config-override.yaml", true).empty() == false);
  // Random values with the same alphabets are kept.
  CHECK(scan::PlaceholderReason("Kq7mZ2pXv9LrT4nWb8YcH3sJd6FgA1eU", false).empty());
  CHECK(scan::PlaceholderReason("qXvTbnMwKrzPlaJdHsYcGfEuNoWiQeRt", false).empty());
  CHECK(scan::PlaceholderReason("k3xa9-q2vz7-mw4pr-t8nbs", false).empty());
  CHECK(scan::PlaceholderReason("xgas-paks-jxjz-gwco", false).empty());  // Apple's format
  CHECK(scan::PlaceholderReason("ShortName", false).empty());
}

namespace {

// A rule whose keyword need not be near its match (its regex does not hold it).
constexpr const char* kGatedRule = R"toml([[rules]]
id = "test-gated"
name = "Gated value"
provider = "test"
confidence = "high"
regex = '''\b(val_[a-z0-9]{12})\b'''
keywords = ["gatekw"]
references = ["https://example.invalid/gated"]
examples = ["gatekw val_abcdef123456"]
negative_examples = ["val_abcdef123456"]
)toml";

// An engine of the rules in `toml`, written to a file of `dir`.
std::shared_ptr<const scan::Engine> EngineOf(const sg::testing::TempDir& dir,
                                             const std::string& toml) {
  sg::testing::WriteFile(dir / "r.toml", toml);
  auto loaded = rules::LoadRules({dir / "r.toml"});
  for (const auto& err : loaded.errors) MESSAGE(err.ToString());
  REQUIRE(loaded.ok());
  auto e = scan::Engine::Build(std::move(loaded.set), {});
  REQUIRE(e.ok());
  return *e;
}

// A buffer built from pieces of `base` and new text, as a git delta builds it.
struct Built {
  std::string data;
  std::vector<scan::DeltaCopy> copies;
};

// One random edit version of `base`: runs of it are kept, dropped, or replaced by new lines that
// may plant a secret, break one (a letter glued to it, one character changed) or add or remove
// the keyword that gates a rule.
Built Edit(const std::string& base, std::mt19937& rng) {
  static const std::vector<std::string> kInserts = {
      "key = tok_Ab3dEf6hIj9kLm2nOp5q\n",
      "xtok_Zb3dEf6hIj9kLm2nOp5q\n",  // glued: no \b
      "the gatekw is here\n",
      "val_abcdef123456 near nothing\n",
      "-----BEGIN TEST KEY-----\n" + std::string(700, 'Q') + "\n-----END TEST KEY-----\n",
      "plain words without secrets\n",
      "tok_",
      "Ab3dEf6hIj9kLm2nOp5q ",
      "-----END TEST KEY-----\n",
  };
  Built b;
  size_t at = 0;
  while (at < base.size()) {
    const size_t len = std::min<size_t>(base.size() - at, 1 + rng() % 8000);
    if (rng() % 3 == 0) {
      // Mend a broken secret of the base with new bytes right before the copied rest of it: a
      // match that starts in the insert and ends far into a copied run, which the base lacks.
      for (auto [broken, mended] :
           {std::pair{"XX_", "tok_"}, std::pair{"gen_secreX", "gen_secret"}}) {
        const size_t hit = base.find(broken, at);
        if (hit == std::string::npos || hit > at + len) continue;
        b.copies.push_back({b.data.size(), at, hit - at});
        b.data.append(base, at, hit - at);
        b.data += mended;
        at = hit + std::strlen(broken);
        break;
      }
      if (at >= base.size()) break;
    }
    switch (rng() % 6) {
      case 0:  // dropped
        break;
      case 1: {  // replaced by new text
        const std::string& s = kInserts[rng() % kInserts.size()];
        b.data += s;
        break;
      }
      default:  // copied
        b.copies.push_back({b.data.size(), at, len});
        b.data.append(base, at, len);
    }
    at += len;
    if (rng() % 4 == 0) b.data += kInserts[rng() % kInserts.size()];
  }
  return b;
}

std::vector<std::string> Describe(const std::vector<scan::Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) {
    out.push_back(f.rule->id + "@" + std::to_string(f.start) + "-" + std::to_string(f.end) +
                  (f.suppressed_by.empty() ? "" : " suppressed"));
  }
  return out;
}

}  // namespace

TEST_CASE(
    "a delta's scan that reuses its base's hits finds exactly what a scan of the whole buffer "
    "finds, along chains of random edits") {
  sg::testing::TempDir dir;
  const auto e = EngineOf(dir, std::string(kGatedRule) + R"toml(
[[rules]]
id = "test-token"
name = "Test token"
provider = "test"
confidence = "high"
regex = '''\b(tok_[A-Za-z0-9]{20})\b'''
keywords = ["tok_"]
references = ["https://example.invalid/tokens"]
examples = ["tok_Ab3dEf6hIj9kLm2nOp5q"]
negative_examples = ["xtok_Ab3dEf6hIj9kLm2nOp5q"]


[[rules]]
id = "test-long"
name = "Long value"
provider = "test"
confidence = "high"
regex = '''gen_secret\s{0,3}=\s{0,3}"([a-z0-9]{100,200})"'''
keywords = ["gen_secret"]
references = ["https://example.invalid/long"]
examples = ["gen_secret = \"abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789\""]
negative_examples = ["gen_secret = \"abc\""]

[[rules]]
id = "test-wide"
name = "Wide key"
provider = "test"
confidence = "high"
regex = '''-----BEGIN TEST KEY-----\s*([A-Za-z0-9+/=\s]{20,4000}?)\s*-----END TEST KEY-----'''
keywords = ["BEGIN TEST KEY"]
references = ["https://example.invalid/wide"]
examples = ["-----BEGIN TEST KEY-----\nQQQQQQQQQQQQQQQQQQQQQQQQ\n-----END TEST KEY-----"]
negative_examples = ["-----BEGIN TEST KEY-----\nQQ\n-----END TEST KEY-----"]
)toml");
  CHECK(e->compiled(0).group == scan::kMainDatabase);
  CHECK(e->compiled(2).group == scan::kMainDatabase);
  CHECK(e->compiled(3).group != scan::kMainDatabase);  // too wide to reuse: its own database
  scan::Scanner reusing(e), whole(e);

  std::mt19937 rng(12345);
  size_t findings = 0, gated = 0, mended = 0;
  for (int chain = 0; chain < 8; ++chain) {
    std::string text;
    for (int i = 0; i < 1500; ++i) {
      text += "line " + std::to_string(rng() % 100000) + " of some source text\n";
      if (rng() % 60 == 0) text += "key = tok_Ab3dEf6hIj9kLm2nOp5q\n";
      if (rng() % 20 == 0) text += "key = XX_Ab3dEf6hIj9kLm2nOp5q\n";
      if (rng() % 20 == 0) {
        text += "gen_secreX = \"";
        for (int k = 0; k < 150; ++k) text += "abcdefghijklmnopqrstuvwxyz0123456789"[rng() % 36];
        text += "\"\n";
      }
      if (rng() % 80 == 0) text += "val_abcdef123456\n";
      if (chain % 2 == 0 && i == 10) text += "gatekw\n";
    }
    scan::HitRecord record;
    auto first = reusing.ScanReusing(text, {}, nullptr, {}, &record);
    REQUIRE(first.ok());
    for (int depth = 0; depth < 25; ++depth) {
      CAPTURE(chain);
      CAPTURE(depth);
      Built next = Edit(text, rng);
      scan::HitRecord next_record;
      auto got = reusing.ScanReusing(next.data, {}, &record, next.copies, &next_record);
      auto want = whole.Scan(next.data);
      REQUIRE(got.ok());
      REQUIRE(want.ok());
      CHECK(Describe(*got) == Describe(*want));
      findings += want->size();
      for (const auto& f : *want) {
        gated += f.rule->id == "test-gated";
        mended += f.rule->id == "test-long";
      }
      text = std::move(next.data);
      record = std::move(next_record);
    }
  }
  CHECK(findings > 100);  // the edits did plant and keep secrets
  CHECK(gated > 5);
  CHECK(mended > 20);
  CHECK(reusing.reuse().buffers > 60);  // of the 200 deltas, half reused their base's hits
  CHECK(reusing.reuse().bytes_skipped > 0);
}

TEST_CASE(
    "a rule's keyword counts anywhere in the buffer and in any case, near its match or far from "
    "it, and its absence keeps the rule quiet") {
  sg::testing::TempDir dir;
  scan::Scanner s(EngineOf(dir, kGatedRule));
  const std::string value = "x = val_abcdef123456\n", filler(5000, 'y');
  for (const std::string& text :
       {"gatekw " + value, "GateKW\n" + filler + "\n" + value, value + filler + "\ngatekw\n"}) {
    auto found = s.Scan(text);
    REQUIRE(found.ok());
    CHECK(found->size() == 1);
  }
  for (const std::string& text : {value, filler + "\n" + value + "gate kw\n"}) {
    auto found = s.Scan(text);
    REQUIRE(found.ok());
    CHECK(found->empty());
  }
}
