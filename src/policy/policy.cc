#include "policy/policy.h"

#include <algorithm>
#include <cstdlib>

namespace sg::policy {

Identity WhoPushed(const Env& env, const std::string& os_user) {
  // SECRETGATE_PUSHER: what an admin sets in authorized_keys for plain SSH (README "Who
  // pushed"), where every pusher is the one Unix user `git`.
  static constexpr const char* kVars[] = {"SECRETGATE_PUSHER", "GL_USERNAME",       "GL_ID",
                                          "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN", "GL_USER",
                                          "REMOTE_USER"};
  for (const char* var : kVars) {
    const char* v = env(var);
    if (v && *v) return {v, var};
  }
  return {os_user, "unix user"};
}

std::vector<std::string> PushOptions(const Env& env) {
  std::vector<std::string> out;
  const char* count = env("GIT_PUSH_OPTION_COUNT");
  if (!count) return out;
  long n = std::strtol(count, nullptr, 10);
  for (long i = 0; i < n && i < 1000; ++i) {
    std::string var = "GIT_PUSH_OPTION_" + std::to_string(i);
    if (const char* v = env(var.c_str())) out.emplace_back(v);
  }
  return out;
}

std::optional<BypassRequest> RequestedBypass(const std::vector<std::string>& options) {
  std::optional<BypassRequest> req;
  std::string comment;
  for (const auto& o : options) {
    if (o.rfind("secretgate.bypass=", 0) == 0) {
      if (!req) req.emplace();
      req->reason = o.substr(sizeof("secretgate.bypass=") - 1);
    } else if (o == "secretgate.bypass") {
      if (!req) req.emplace();
    } else if (o.rfind("secretgate.comment=", 0) == 0) {
      comment = o.substr(sizeof("secretgate.comment=") - 1);
    }
  }
  if (req) req->comment = comment;
  return req;
}

bool ValidBypassReason(std::string_view r) {
  return r == "false_positive" || r == "used_in_tests" || r == "will_fix_later";
}

BypassVerdict JudgeBypass(const config::Config& cfg, const std::optional<BypassRequest>& req,
                          const std::string& pusher) {
  if (!req) return BypassVerdict::kNotRequested;
  if (!cfg.allow_bypass) return BypassVerdict::kNotAllowed;
  if (!ValidBypassReason(req->reason)) return BypassVerdict::kBadReason;
  if (!cfg.bypass_users.empty() && std::find(cfg.bypass_users.begin(), cfg.bypass_users.end(),
                                             pusher) == cfg.bypass_users.end()) {
    return BypassVerdict::kUserNotAllowed;
  }
  return BypassVerdict::kGranted;
}

std::string BypassVerdictText(BypassVerdict v, const std::optional<BypassRequest>& req) {
  switch (v) {
    case BypassVerdict::kNotRequested:
      return "";
    case BypassVerdict::kGranted:
      return "bypass granted: " + req->reason;
    case BypassVerdict::kNotAllowed:
      return "bypass refused: bypassing is not allowed on this repository";
    case BypassVerdict::kUserNotAllowed:
      return "bypass refused: you are not allowed to bypass";
    case BypassVerdict::kBadReason:
      return "bypass refused: unknown reason '" + (req ? req->reason : std::string()) +
             "' (use false_positive, used_in_tests or will_fix_later)";
  }
  return "";
}

ModeDecision DecideMode(const config::Config& cfg, const rules::Rule& rule) {
  if (auto it = cfg.rule_modes.find(rule.id); it != cfg.rule_modes.end()) return {it->second};
  if (auto m = config::ParseMode(rule.mode)) return {*m};
  // Confidence is ordered high < medium < low in the enum: a larger value is less confident.
  if (cfg.mode == config::Mode::kBlock && rule.confidence > cfg.block_confidence) {
    return {config::Mode::kWarn, true};
  }
  return {cfg.mode};
}

config::Mode EffectiveMode(const config::Config& cfg, const rules::Rule& rule) {
  return DecideMode(cfg, rule).mode;
}

bool MayEditExclusions(const config::Config& cfg, const std::string& pusher) {
  const auto& editors = cfg.exclusions_editors_set ? cfg.exclusions_editors : cfg.bypass_users;
  return std::find(editors.begin(), editors.end(), pusher) != editors.end();
}

bool UnderGitLab(const Env& env) {
  const char* v = env("GL_ID");
  return v && *v;
}

std::vector<std::string> ParseExclusions(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    out.emplace_back(line);
  }
  return out;
}

}  // namespace sg::policy
