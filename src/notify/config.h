// Notification settings: the `[notify]`, `[[webhooks]]`, `[[commands]]` and `[partners.*]` tables
// of config.toml (README.md, "Notifications"). They are read from the config file only, never
// from a repository's git config or from rule files, because they name where data leaves the
// server and hold the keys that sign it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sg::notify {

// The event types a sink can receive (the journal's record types, header excepted).
const std::vector<std::string_view>& EventNames();
bool IsEventName(std::string_view name);

// Common to both kinds of sink.
struct SinkCommon {
  std::string name;                 // unique; names the sink's cursor, retry state and log lines
  std::vector<std::string> events;  // empty: every event
  double timeout = 10;              // seconds for one attempt
  bool backfill = true;             // a new sink starts at the journal's first event (else: now)
  bool Wants(std::string_view event) const;
};

struct WebhookConfig : SinkCommon {
  std::string url;
  std::string secret;  // HMAC-SHA256 key of X-Secretgate-Signature
  double connect_timeout = 5;
};

struct CommandConfig : SinkCommon {
  std::vector<std::string> argv;           // argv[0] is an absolute path; run without a shell
  std::map<std::string, std::string> env;  // added to the minimal environment the command gets
};

// How `secretgate verify` asks a provider whether a secret is still active. Exactly one of
// `command` and `url` is set.
struct VerifierConfig {
  std::vector<std::string> command;  // secret on stdin; exit 0 active, 1 inactive, else unknown
  std::string url;                   // https (or loopback http): the secret travels in it
  std::string method = "GET";
  std::map<std::string, std::string> headers;  // values may hold {{secret}}
  std::string body;                            // may hold {{secret}}
  std::vector<long> active_status{200};
  std::vector<long> inactive_status{401, 403};
  double timeout = 10;
};

// `[partners.NAME]`: NAME is matched, case-insensitively, against a rule's `provider`.
struct PartnerConfig {
  std::string provider;  // lower-case
  std::string url;       // empty: no partner notification (a verifier alone is fine)
  double timeout = 10;
  std::optional<VerifierConfig> verifier;
};

struct NotifyConfig {
  std::vector<WebhookConfig> webhooks;
  std::vector<CommandConfig> commands;
  std::map<std::string, PartnerConfig> partners;  // by lower-case provider
  bool after_push = true;     // post-receive starts `secretgate notify` in the background
  double retry_initial = 30;  // seconds before the first retry of a failed delivery
  double retry_max = 3600;    // backoff doubles up to this
  std::string partner_key;    // empty: <store root>/partner-key.pem
  std::string source;         // the file read, or "(defaults)"

  // The partner entry for `provider` if it has a notification url, else nullptr.
  const PartnerConfig* PartnerEndpoint(std::string_view provider) const;
  // The partner entry for `provider` if it has a verifier, else nullptr.
  const PartnerConfig* Verifier(std::string_view provider) const;
  bool HasJournalSinks() const { return !webhooks.empty() || !commands.empty(); }
  bool HasPartnerEndpoints() const;
  bool empty() const { return !HasJournalSinks() && !HasPartnerEndpoints(); }
};

// Reads the notification tables of the config file at `path` (other keys are the main config
// loader's). A missing file gives the defaults (nothing configured) unless `must_exist`.
// Errors name the file and line.
Result<NotifyConfig> LoadConfig(const std::string& path, bool must_exist);
// The same from TOML text (`path` is used in messages).
Result<NotifyConfig> ParseConfig(std::string_view text, const std::string& path);

}  // namespace sg::notify
