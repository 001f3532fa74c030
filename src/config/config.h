// secretgate's settings: defaults, then /etc/secretgate/config.toml (or $SECRETGATE_CONFIG),
// then the repository's `secretgate.*` git config keys. Every key is documented in README.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rules/rule.h"
#include "util/status.h"

namespace sg::config {

enum class Mode { kBlock, kWarn, kAudit };
std::string_view ModeName(Mode m);
std::optional<Mode> ParseMode(std::string_view s);

struct Config {
  std::vector<std::string> rules;        // rule files or directories
  // `rules` was set (possibly to []): the default rules are loaded only when it was not.
  bool rules_set = false;
  std::vector<std::string> extra_rules;       // added to `rules`
  std::vector<std::string> gitleaks_configs;  // gitleaks TOML files, translated on load
  // Apply secretgate's placeholder filter to the rules translated from gitleaks_configs.
  bool gitleaks_placeholder_filter = false;
  int64_t max_blob_size = 10 << 20;
  int max_findings_shown = 5;
  bool fail_closed = false;
  std::string log_file;  // empty: <git-dir>/secretgate/secretgate.log
  std::string log_level = "info";
  std::string log_format = "text";  // or "json" (log/event.h)
  bool log_syslog = false;          // also to syslog
  std::string cache_dir;    // empty: see DefaultCacheDir()
  std::string store_root;   // empty: <git-dir>/secretgate (one store per repository)
  std::string store_group;  // empty: stores and spools are private to the user
  // A server-wide key file: alerts then carry a keyed hash that compares across stores
  // (multi_repo). Empty: none.
  std::string cross_repo_key;
  int store_gid = -1;       // the group's id, resolved when the key is read
  bool store_secrets = false;
  bool store = true;  // record alerts
  Mode mode = Mode::kBlock;
  std::map<std::string, Mode> rule_modes;  // [rule_modes] id = "warn"
  // A finding of a rule less confident than this warns (and is recorded) where `mode` would
  // block it. Per-rule modes are not affected.
  rules::Confidence block_confidence = rules::Confidence::kHigh;
  double timeout_seconds = 4.0;
  bool reject_on_timeout = false;
  bool allow_bypass = false;
  std::vector<std::string> bypass_users;  // empty: anyone, when allowed
  // Who may change the exclusions file (policy::MayEditExclusions); unset: bypass_users.
  std::vector<std::string> exclusions_editors;
  bool exclusions_editors_set = false;
  // bypass = "request": a stopped pusher may ask a reviewer (`-o secretgate.bypass-request=why`)
  bool bypass_requests = false;
  double bypass_request_days = 7;  // a pending request expires after this
  double bypass_window_days = 7;   // an approved request lets its alerts through this long
  std::string serve_url;   // where `secretgate serve` is reached; names alerts in rejections
  std::string server_dir;  // API tokens of `secretgate serve` (empty: kDefaultServerDir)
  std::vector<std::string> exclude_paths;  // globs
  std::string exclusions_file = ".secretgate-exclusions";
  std::string default_branch;  // empty: HEAD of the repository

  std::string source;  // the config file that was read, or "(defaults)"
  // The file has [partners.*] tables (read by notify::LoadConfig): recording then hands new
  // alerts' tokens to the partner outbox. Without them the hook never parses the file again.
  bool has_partners = false;
};

// Reads the config file `path` over the defaults. A missing file is not an error when
// `must_exist` is false. Errors name the file and line.
Result<Config> LoadFile(const std::string& path, bool must_exist);

// The config file to read: $SECRETGATE_CONFIG, else /etc/secretgate/config.toml.
std::string ConfigPath();

// Applies the repository's git config keys (secretgate.mode, secretgate.maxBlobSize, ...).
// `get` returns every value of a key (several for multi-valued keys), empty when unset.
Status ApplyGitConfig(Config& cfg,
                      const std::function<std::vector<std::string>(const std::string&)>& get);

// The rules to load when the config names none: the installed rules directory.
std::string DefaultRulesDir();

inline constexpr const char* kSystemCacheDir = "/var/cache/secretgate";
inline constexpr const char* kDefaultServerDir = "/var/lib/secretgate/server";

// A writable cache directory for compiled rules: /var/cache/secretgate when writable, else
// $XDG_CACHE_HOME/secretgate or ~/.cache/secretgate, else `fallback`.
std::string DefaultCacheDir(const std::string& fallback);

// One line per key: toml name, git config name, default, description (for --help and docs).
struct KeyDoc {
  const char* toml;
  const char* git;
  const char* def;
  const char* help;
};
const std::vector<KeyDoc>& Keys();

}  // namespace sg::config
