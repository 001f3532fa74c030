// dist/config.toml.in: the commented /etc/secretgate/config.toml that the package and
// install.sh ship, as CMake generated it for this build.
#include <doctest/doctest.h>

#include <sstream>

#include "config/config.h"
#include "helpers.h"
#include "notify/config.h"

using namespace sg;
using namespace sg::testing;

namespace {

std::string Shipped() {
  return ReadFileOrEmpty(std::string(SECRETGATE_BUILD_DIR) + "/config.toml");
}

// The file with every `#key = value` line (a default) uncommented; explanations ("# ...")
// stay comments.
std::string Uncommented(const std::string& text) {
  std::istringstream in(text);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.size() > 1 && line[0] == '#' && line[1] != ' ' && line[1] != '#') line.erase(0, 1);
    out += line + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("the shipped config file names every config key") {
  const std::string text = Shipped();
  REQUIRE(!text.empty());
  for (const auto& key : config::Keys()) {
    CAPTURE(key.toml);
    CHECK(Contains(text, std::string(key.toml) + " = "));
  }
  for (const char* key : {"after_push", "retry_initial", "retry_max", "partner_key"}) {
    CAPTURE(key);
    CHECK(Contains(text, key));
  }
}

TEST_CASE("uncommenting every default line of the shipped config file changes nothing") {
  TempDir dir;
  WriteFile(dir / "config.toml", Uncommented(Shipped()));
  auto cfg = config::LoadFile(dir / "config.toml", true);
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  const config::Config def;
  CHECK(cfg->rules == std::vector<std::string>{config::DefaultRulesDir()});
  CHECK(cfg->extra_rules == def.extra_rules);
  CHECK(cfg->gitleaks_configs == def.gitleaks_configs);
  CHECK(cfg->mode == def.mode);
  CHECK(cfg->rule_modes == def.rule_modes);
  CHECK(cfg->fail_closed == def.fail_closed);
  CHECK(cfg->max_blob_size == def.max_blob_size);
  CHECK(cfg->max_findings_shown == def.max_findings_shown);
  CHECK(cfg->timeout_seconds == def.timeout_seconds);
  CHECK(cfg->reject_on_timeout == def.reject_on_timeout);
  CHECK(cfg->allow_bypass == def.allow_bypass);
  CHECK(cfg->bypass_users == def.bypass_users);
  CHECK(cfg->exclude_paths == def.exclude_paths);
  CHECK(cfg->exclusions_file == def.exclusions_file);
  CHECK(cfg->default_branch == def.default_branch);
  CHECK(cfg->store == def.store);
  CHECK(cfg->store_root == def.store_root);
  CHECK(cfg->store_secrets == def.store_secrets);
  CHECK(cfg->store_group == def.store_group);
  CHECK(cfg->store_gid == def.store_gid);
  CHECK(cfg->exclusions_editors == def.exclusions_editors);
  CHECK(cfg->exclusions_editors_set == def.exclusions_editors_set);
  CHECK(cfg->log_file == def.log_file);
  CHECK(cfg->log_level == def.log_level);
  CHECK(cfg->log_format == def.log_format);
  CHECK(cfg->log_syslog == def.log_syslog);
  CHECK(cfg->cache_dir == def.cache_dir);
  CHECK(cfg->gitleaks_placeholder_filter == def.gitleaks_placeholder_filter);
  CHECK(cfg->block_confidence == def.block_confidence);
  CHECK(cfg->bypass_requests == def.bypass_requests);
  CHECK(cfg->bypass_request_days == def.bypass_request_days);
  CHECK(cfg->bypass_window_days == def.bypass_window_days);
  CHECK(cfg->exclusions_editors_set == def.exclusions_editors_set);
  CHECK(cfg->store_group == def.store_group);
  CHECK(cfg->cross_repo_key == def.cross_repo_key);
  CHECK(cfg->serve_url == def.serve_url);
  // Empty is the same directory.
  CHECK(cfg->server_dir == config::kDefaultServerDir);
  auto ncfg = notify::LoadConfig(dir / "config.toml", true);
  REQUIRE_MESSAGE(ncfg.ok(), ncfg.status().message());
  const notify::NotifyConfig ndef;
  CHECK(ncfg->empty());
  CHECK(ncfg->after_push == ndef.after_push);
  CHECK(ncfg->retry_initial == ndef.retry_initial);
  CHECK(ncfg->retry_max == ndef.retry_max);
  CHECK(ncfg->partner_key == ndef.partner_key);
}

TEST_CASE("the shipped config file as it is, all comments, is the defaults") {
  TempDir dir;
  WriteFile(dir / "config.toml", Shipped());
  auto cfg = config::LoadFile(dir / "config.toml", true);
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  CHECK(cfg->rules.empty());
  CHECK(cfg->mode == config::Mode::kBlock);
}
