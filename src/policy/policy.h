// Push-protection policy: who is pushing, what they asked for with push options, and what each
// finding does to the push (block, warn, audit). Pure functions of config and environment.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "rules/rule.h"

namespace sg::policy {

using Env = std::function<const char*(const char*)>;  // getenv-like

// The pusher as the server knows them: SECRETGATE_PUSHER (set by an authorized_keys forced
// command on plain SSH), GitLab (GL_USERNAME, else GL_ID), Gitea/Forgejo
// (GITEA_PUSHER_NAME), GitHub Enterprise (GITHUB_USER_LOGIN), gitolite (GL_USER), smart HTTP
// (REMOTE_USER), else the Unix user `os_user` (plain SSH).
struct Identity {
  std::string name;
  std::string source;  // which variable told us, e.g. "GL_USERNAME", or "unix user"
};
Identity WhoPushed(const Env& env, const std::string& os_user);

// Push options (`git push -o key=value`) from GIT_PUSH_OPTION_COUNT / GIT_PUSH_OPTION_<i>.
std::vector<std::string> PushOptions(const Env& env);

struct BypassRequest {
  std::string reason;  // as given; may be invalid
  std::string comment;
};
// The bypass the pusher asked for (secretgate.bypass / secretgate.comment), if any.
std::optional<BypassRequest> RequestedBypass(const std::vector<std::string>& options);

bool ValidBypassReason(std::string_view reason);  // false_positive, used_in_tests, will_fix_later

enum class BypassVerdict { kNotRequested, kGranted, kNotAllowed, kUserNotAllowed, kBadReason };
BypassVerdict JudgeBypass(const config::Config& cfg, const std::optional<BypassRequest>& req,
                          const std::string& pusher);
std::string BypassVerdictText(BypassVerdict v, const std::optional<BypassRequest>& req);

// What a finding of `rule` does to the push: the config's per-rule mode (rule_modes), else the
// rule file's own `mode`, else the repository's mode (git config) or the global mode; where
// that mode blocks but the rule is less confident than block_confidence, the finding warns
// instead (`below_block_confidence`). Explicit per-rule modes are never demoted.
struct ModeDecision {
  config::Mode mode = config::Mode::kBlock;
  bool below_block_confidence = false;
};
ModeDecision DecideMode(const config::Config& cfg, const rules::Rule& rule);

// DecideMode(cfg, rule).mode.
config::Mode EffectiveMode(const config::Config& cfg, const rules::Rule& rule);

// Who may change the exclusions file: `exclusions_editors` when set, else `bypass_users`. An
// empty list means nobody: no pusher can exempt their own secrets.
bool MayEditExclusions(const config::Config& cfg, const std::string& pusher);

// True when running under GitLab (GL_ID set): pusher lines get the GL-HOOK-ERR: prefix.
bool UnderGitLab(const Env& env);

// Parses an exclusions file: one path glob per line, '#' comments and blank lines ignored.
std::vector<std::string> ParseExclusions(std::string_view text);

}  // namespace sg::policy
