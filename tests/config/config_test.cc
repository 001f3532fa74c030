#include <doctest/doctest.h>

#include "config/config.h"
#include "helpers.h"

using namespace sg;

TEST_CASE("a missing default config file means all defaults") {
  auto cfg = config::LoadFile("/nonexistent/config.toml", false);
  REQUIRE(cfg.ok());
  CHECK(cfg->mode == config::Mode::kBlock);
  CHECK(cfg->max_blob_size == 10 << 20);
  CHECK(cfg->max_findings_shown == 5);
  CHECK(!cfg->fail_closed);
  CHECK(cfg->timeout_seconds == doctest::Approx(4.0));
  CHECK(!config::LoadFile("/nonexistent/config.toml", true).ok());
}

TEST_CASE("every config key is read, and a bad value names file and line") {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "c.toml", R"(mode = "warn"
max_blob_size = "1MiB"
max_findings_shown = 3
fail_mode = "closed"
timeout = 2.5
on_timeout = "reject"
allow_bypass = true
bypass_users = ["lead"]
exclude_paths = ["vendor/**"]
store_secrets = true
[rule_modes]
generic-password = "audit"
)");
  auto cfg = config::LoadFile(dir / "c.toml", true);
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  CHECK(cfg->mode == config::Mode::kWarn);
  CHECK(cfg->max_blob_size == 1 << 20);
  CHECK(cfg->max_findings_shown == 3);
  CHECK(cfg->fail_closed);
  CHECK(cfg->timeout_seconds == doctest::Approx(2.5));
  CHECK(cfg->reject_on_timeout);
  CHECK(cfg->allow_bypass);
  CHECK(cfg->bypass_users == std::vector<std::string>{"lead"});
  CHECK(cfg->store_secrets);
  CHECK(cfg->rule_modes.at("generic-password") == config::Mode::kAudit);

  sg::testing::WriteFile(dir / "bad.toml", "mode = \"warn\"\n\nmode2 = 1\n");
  auto bad = config::LoadFile(dir / "bad.toml", true);
  CHECK(bad.status().message() == dir / "bad.toml" + ":3: unknown key 'mode2'");
  sg::testing::WriteFile(dir / "bad2.toml", "max_findings_shown = 0\n");
  CHECK(config::LoadFile(dir / "bad2.toml", true).status().message().find(":1: max_findings_shown") !=
        std::string::npos);
  sg::testing::WriteFile(dir / "bad3.toml", "mode = [\n");
  CHECK(config::LoadFile(dir / "bad3.toml", true).status().message().find("invalid TOML") !=
        std::string::npos);
}

TEST_CASE("git config keys mirror config.toml keys and override them") {
  config::Config cfg;
  std::map<std::string, std::vector<std::string>> git = {
      {"secretgate.mode", {"block", "audit"}},
      {"secretgate.allowBypass", {"yes"}},
      {"secretgate.excludePath", {"a/**", "b/*"}},
      {"secretgate.ruleMode", {"x=warn"}},
  };
  Status s = config::ApplyGitConfig(cfg, [&](const std::string& k) {
    auto it = git.find(k);
    return it == git.end() ? std::vector<std::string>{} : it->second;
  });
  REQUIRE(s.ok());
  CHECK(cfg.mode == config::Mode::kAudit);  // last one wins, as in git
  CHECK(cfg.allow_bypass);
  CHECK(cfg.exclude_paths.size() == 2);
  CHECK(cfg.rule_modes.at("x") == config::Mode::kWarn);
  git["secretgate.failMode"] = {"sideways"};
  Status bad = config::ApplyGitConfig(cfg, [&](const std::string& k) {
    auto it = git.find(k);
    return it == git.end() ? std::vector<std::string>{} : it->second;
  });
  CHECK(bad.message().find("git config secretgate.failMode") == 0);
}

TEST_CASE("block_confidence is read from config.toml and from git config, and checked") {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "c.toml", "block_confidence = \"medium\"\n");
  auto cfg = config::LoadFile(dir / "c.toml", true);
  REQUIRE(cfg.ok());
  CHECK(cfg->block_confidence == rules::Confidence::kMedium);
  CHECK(config::LoadFile(dir / "none.toml", false)->block_confidence == rules::Confidence::kHigh);
  auto git = [](const std::string& key) {
    return key == "secretgate.blockConfidence" ? std::vector<std::string>{"low"}
                                               : std::vector<std::string>{};
  };
  REQUIRE(config::ApplyGitConfig(*cfg, git).ok());
  CHECK(cfg->block_confidence == rules::Confidence::kLow);
  sg::testing::WriteFile(dir / "bad.toml", "\nblock_confidence = \"certain\"\n");
  auto bad = config::LoadFile(dir / "bad.toml", true);
  REQUIRE(!bad.ok());
  CHECK(sg::testing::Contains(bad.status().message(), "bad.toml:2: block_confidence"));
}

TEST_CASE("rules = [] is told apart from rules not set") {
  sg::testing::TempDir dir;
  sg::testing::WriteFile(dir / "c.toml", "rules = []\n");
  auto empty = config::LoadFile(dir / "c.toml", true);
  REQUIRE(empty.ok());
  CHECK(empty->rules.empty());
  CHECK(empty->rules_set);
  CHECK(!config::LoadFile(dir / "none.toml", false)->rules_set);
}
