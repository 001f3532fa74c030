#include <doctest/doctest.h>

#include <map>

#include "inspect/blob_filter.h"
#include "policy/policy.h"

using namespace sg;

namespace {
policy::Env EnvOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}
}  // namespace

TEST_CASE("the pusher is taken from the server's variables in order of precedence") {
  CHECK(policy::WhoPushed(EnvOf({{"GL_USERNAME", "a"}, {"GL_ID", "user-1"}}), "git").name == "a");
  CHECK(policy::WhoPushed(EnvOf({{"GITEA_PUSHER_NAME", "g"}}), "git").name == "g");
  CHECK(policy::WhoPushed(EnvOf({{"GITHUB_USER_LOGIN", "h"}}), "git").name == "h");
  CHECK(policy::WhoPushed(EnvOf({{"GL_USER", "o"}}), "git").source == "GL_USER");
  CHECK(policy::WhoPushed(EnvOf({{"REMOTE_USER", "w"}}), "git").name == "w");
  auto unix_user = policy::WhoPushed(EnvOf({}), "git");
  CHECK(unix_user.name == "git");
  CHECK(unix_user.source == "unix user");
}

TEST_CASE("bypass requests are judged against the config") {
  auto req = policy::RequestedBypass(policy::PushOptions(EnvOf({{"GIT_PUSH_OPTION_COUNT", "2"},
                                                               {"GIT_PUSH_OPTION_0", "secretgate.bypass=false_positive"},
                                                               {"GIT_PUSH_OPTION_1", "secretgate.comment=demo data"}})));
  REQUIRE(req);
  CHECK(req->reason == "false_positive");
  CHECK(req->comment == "demo data");
  config::Config cfg;
  CHECK(policy::JudgeBypass(cfg, req, "me") == policy::BypassVerdict::kNotAllowed);
  cfg.allow_bypass = true;
  CHECK(policy::JudgeBypass(cfg, req, "me") == policy::BypassVerdict::kGranted);
  cfg.bypass_users = {"lead"};
  CHECK(policy::JudgeBypass(cfg, req, "me") == policy::BypassVerdict::kUserNotAllowed);
  CHECK(policy::JudgeBypass(cfg, req, "lead") == policy::BypassVerdict::kGranted);
  req->reason = "because";
  CHECK(policy::JudgeBypass(cfg, req, "lead") == policy::BypassVerdict::kBadReason);
  CHECK(policy::JudgeBypass(cfg, std::nullopt, "lead") == policy::BypassVerdict::kNotRequested);
}

TEST_CASE("a rule's mode: config rule_modes, then the rule file, then the repository") {
  config::Config cfg;
  cfg.mode = config::Mode::kBlock;
  rules::Rule r;
  r.id = "x";
  CHECK(policy::EffectiveMode(cfg, r) == config::Mode::kBlock);
  r.mode = "warn";
  CHECK(policy::EffectiveMode(cfg, r) == config::Mode::kWarn);
  cfg.rule_modes["x"] = config::Mode::kAudit;
  CHECK(policy::EffectiveMode(cfg, r) == config::Mode::kAudit);
}

TEST_CASE("exclusion files and path globs") {
  auto globs = policy::ParseExclusions("# comment\n\n  fixtures/**  \r\n*.pem\n");
  REQUIRE(globs.size() == 2);
  CHECK(globs[0] == "fixtures/**");
  CHECK(inspect::GlobMatch("fixtures/**", "fixtures/a/b/key.txt"));
  CHECK(!inspect::GlobMatch("fixtures/**", "src/fixtures2/key.txt"));
  CHECK(inspect::GlobMatch("*.pem", "deep/dir/server.pem"));
  CHECK(inspect::GlobMatch("**/testdata/*", "a/b/testdata/x.json"));
  CHECK(inspect::GlobMatch("docs/*.md", "docs/readme.md"));
  CHECK(!inspect::GlobMatch("docs/*.md", "docs/sub/readme.md"));
}

TEST_CASE("a finding below block_confidence warns where the mode would block") {
  config::Config cfg;
  rules::Rule r;
  r.id = "acme-api-key";
  r.confidence = rules::Confidence::kMedium;
  auto d = policy::DecideMode(cfg, r);  // default: only high blocks
  CHECK(d.mode == config::Mode::kWarn);
  CHECK(d.below_block_confidence);
  r.confidence = rules::Confidence::kHigh;
  CHECK(policy::DecideMode(cfg, r).mode == config::Mode::kBlock);
  r.confidence = rules::Confidence::kLow;
  cfg.block_confidence = rules::Confidence::kMedium;
  CHECK(policy::DecideMode(cfg, r).below_block_confidence);
  cfg.block_confidence = rules::Confidence::kLow;
  CHECK(policy::DecideMode(cfg, r).mode == config::Mode::kBlock);
  // Audit and warn are not made stricter or looser by confidence.
  cfg.block_confidence = rules::Confidence::kHigh;
  cfg.mode = config::Mode::kAudit;
  CHECK(policy::DecideMode(cfg, r).mode == config::Mode::kAudit);
  CHECK(!policy::DecideMode(cfg, r).below_block_confidence);
}

TEST_CASE("an explicit per-rule mode wins over block_confidence") {
  config::Config cfg;
  rules::Rule r;
  r.id = "acme-api-key";
  r.confidence = rules::Confidence::kLow;
  cfg.rule_modes["acme-api-key"] = config::Mode::kBlock;
  CHECK(policy::DecideMode(cfg, r).mode == config::Mode::kBlock);
  cfg.rule_modes.clear();
  r.mode = "block";
  CHECK(policy::DecideMode(cfg, r).mode == config::Mode::kBlock);
  CHECK(!policy::DecideMode(cfg, r).below_block_confidence);
}
