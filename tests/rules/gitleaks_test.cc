#include <doctest/doctest.h>

#include "helpers.h"
#include "rules/gitleaks.h"
#include "scan/engine.h"

using namespace sg;

namespace {
constexpr char kConfig[] = R"(title = "team config"
[extend]
useDefault = true

[[allowlists]]
description = "global"
paths = ['''(^|/)vendor/''']
stopwords = ["notreal"]

[[rules]]
id = "Team-Token"
description = "Team internal token"
regex = '''(?i)team[_-]?token\s*[:=]\s*['"]?(tt_[a-z0-9]{24})'''
secretGroup = 1
entropy = 3.0
keywords = ["team_token", "team-token", "teamtoken"]
  [[rules.allowlists]]
  regexes = ['''^tt_0{24}$''']

[[rules]]
id = "props-password"
description = "Password in .properties"
regex = '''password=(\S{12,})'''
path = '''\.properties$'''
keywords = ["password="]

[[rules]]
id = "pkcs12-file"
description = "PKCS12 file"
path = '''\.p12$'''

[[rules]]
id = "line-target"
regex = '''zz_[a-z]{10}'''
  [[rules.allowlists]]
  regexTarget = "line"
  regexes = ['''ignore''']
)";
}  // namespace

TEST_CASE("a gitleaks config translates, and what does not is reported with rule id and reason") {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "gitleaks.toml", kConfig);
  rules::LoadResult loaded;
  auto report = rules::ImportGitleaks(dir / "gitleaks.toml", loaded);
  CHECK(loaded.ok());
  CHECK(report.translated == 3);
  REQUIRE(loaded.set.Find("gitleaks.team-token"));
  CHECK(loaded.set.Find("gitleaks.team-token")->secret_group == 1);
  std::string all;
  for (const auto& u : report.untranslated) all += u + "\n";
  // Each problem names the file and line of what it is about.
  CHECK(all.find(dir / "gitleaks.toml" + ":27: rule pkcs12-file: a rule without `regex`") !=
        std::string::npos);
  REQUIRE(report.notes.size() == 1);
  CHECK(report.notes[0].find("useDefault") != std::string::npos);

  auto engine = scan::Engine::Build(loaded.set, {});
  REQUIRE(engine.ok());
  scan::Scanner s(*engine);
  auto hit = s.Scan("TEAM_TOKEN = 'tt_a8f3k2m9x7q1w5e6r4t0y2u8'\n", "app/config.py");
  REQUIRE(hit->size() == 1);
  CHECK((*hit)[0].secret == "tt_a8f3k2m9x7q1w5e6r4t0y2u8");
  CHECK(s.Scan("team_token: tt_000000000000000000000000", "a.yml")->empty());
  CHECK(s.Scan("TEAM_TOKEN = 'tt_a8f3k2m9x7q1w5e6r4t0y2u8'\n", "vendor/lib/config.py")->empty());
  CHECK(s.Scan("password=Xk29!fjq0pLm#\n", "app/db.properties")->size() == 1);
  CHECK(s.Scan("password=Xk29!fjq0pLm#\n", "app/db.yaml")->empty());
  // regexTarget = "line": the allowlist regex is tested against the whole line.
  CHECK(s.Scan("x = zz_abcdefghij\n", "a.txt")->size() == 1);
  CHECK(s.Scan("x = zz_abcdefghij  # ignore\n", "a.txt")->empty());
}

namespace {
// Scans `text` with the rules translated from the gitleaks config `toml`.
std::vector<scan::Finding> ScanWithGitleaks(const std::string& toml, const std::string& text,
                                            rules::GitleaksOptions options = {}) {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "gitleaks.toml", toml);
  rules::LoadResult loaded;
  auto report = rules::ImportGitleaks(dir / "gitleaks.toml", loaded, options);
  for (const auto& u : report.untranslated) MESSAGE(u);
  REQUIRE(loaded.ok());
  auto engine = scan::Engine::Build(loaded.set, {});
  REQUIRE(engine.ok());
  scan::Scanner s(*engine);
  auto res = s.Scan(text, "app/config.txt");
  REQUIRE(res.ok());
  return *res;
}
}  // namespace

TEST_CASE("without secretGroup an imported rule reports the first group that captured text") {
  // Two alternatives, each with its own group: gitleaks reports whichever matched.
  constexpr char kToml[] = R"([[rules]]
id = "two-forms"
regex = '''(?:tokA=([a-z0-9]{12})|tokB=([a-z0-9]{12}))'''
keywords = ["tok"]
)";
  auto a = ScanWithGitleaks(kToml, "tokA=k3j5h7g9f2d4\n");
  REQUIRE(a.size() == 1);
  CHECK(a[0].secret == "k3j5h7g9f2d4");
  auto b = ScanWithGitleaks(kToml, "tokB=q8w6e4r2t0y9\n");
  REQUIRE(b.size() == 1);
  CHECK(b[0].secret == "q8w6e4r2t0y9");
}

TEST_CASE("an imported allowlist with regexTarget match is tested against the whole match") {
  constexpr char kToml[] = R"toml([[rules]]
id = "svc-key"
regex = '''svc_key\s*=\s*"([A-Za-z0-9]{16})"'''
keywords = ["svc_key"]
  [[rules.allowlists]]
  regexTarget = "match"
  regexes = ['''^svc_key\s*=\s*"TEST''']
)toml";
  CHECK(ScanWithGitleaks(kToml, "svc_key = \"Ab3dEf6hIj9kLm2n\"\n").size() == 1);
  CHECK(ScanWithGitleaks(kToml, "svc_key = \"TESTf6hIj9kLm2nQ\"\n").empty());
}

TEST_CASE(
    "imported rules keep gitleaks' entropy and digit rules, without secretgate's placeholders") {
  constexpr char kToml[] = R"([[rules]]
id = "generic-thing"
regex = '''thing\s*=\s*([A-Za-z0-9_]{12,40})'''
entropy = 2.0
keywords = ["thing"]

[[rules]]
id = "team-thing"
regex = '''team\s*=\s*([A-Za-z0-9_]{12,40})'''
entropy = 2.0
keywords = ["team"]
)";
  // gitleaks' generic rules need a digit in the secret; other rules do not.
  CHECK(ScanWithGitleaks(kToml, "thing = AbcDefGhiJklMno\n").empty());
  CHECK(ScanWithGitleaks(kToml, "thing = AbcDefGhi4JklMno\n").size() == 1);
  CHECK(ScanWithGitleaks(kToml, "team = AbcDefGhiJklMno\n").size() == 1);
  // gitleaks has no placeholder filter: "example" stays a finding unless the config asks.
  CHECK(ScanWithGitleaks(kToml, "team = example_value_1234\n").size() == 1);
  rules::GitleaksOptions filtered;
  filtered.placeholder_filter = true;
  CHECK(ScanWithGitleaks(kToml, "team = example_value_1234\n", filtered).empty());
}

TEST_CASE("a gitleaks config that is not TOML is an error naming file and line") {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "bad.toml", "[[rules]]\nid = \n");
  rules::LoadResult loaded;
  rules::ImportGitleaks(dir / "bad.toml", loaded);
  REQUIRE(loaded.errors.size() == 1);
  CHECK(loaded.errors[0].line == 2);
}

TEST_CASE(
    "rules = [] with a gitleaks config gives the gitleaks rules alone, not the default pack") {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "gitleaks.toml", R"([[rules]]
id = "team-token"
regex = '''(tt_[a-z0-9]{24})'''
keywords = ["tt_"]
)");
  sg::testing::WriteFile(dir / "config.toml", "rules = []\ngitleaks_configs = [" +
                                                  sg::testing::Quote(dir / "gitleaks.toml") +
                                                  "]\ncache_dir = '" + dir.path() + "/cache'\n");
  sg::testing::WriteFile(dir / "src/a.env",
                         "A=tt_a8f3k2m9x7q1w5e6r4t0y2u8\nB=" + sg::testing::GithubToken(77) + "\n");
  auto r = sg::testing::Sh("SECRETGATE_CONFIG=" + sg::testing::Quote(dir / "config.toml") + " " +
                           sg::testing::Quote(sg::testing::Binary()) + " scan --format json " +
                           sg::testing::Quote(dir / "src"));
  CHECK(r.code == 1);
  CHECK(sg::testing::Contains(r.out, "gitleaks.team-token"));
  CHECK(!sg::testing::Contains(r.out, "github-pat-classic"));
}
