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
  CHECK(all.find("rule pkcs12-file: a rule without `regex`") != std::string::npos);
  CHECK(all.find("rule line-target: allowlist regexTarget 'line' is not supported") != std::string::npos);
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
}

TEST_CASE("a gitleaks config that is not TOML is an error naming file and line") {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "bad.toml", "[[rules]]\nid = \n");
  rules::LoadResult loaded;
  rules::ImportGitleaks(dir / "bad.toml", loaded);
  REQUIRE(loaded.errors.size() == 1);
  CHECK(loaded.errors[0].line == 2);
}
