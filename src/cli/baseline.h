// Baseline files for `secretgate scan`: the findings a team has accepted, so that CI fails only
// on new ones. A baseline holds keyed hashes, never secrets: HMAC-SHA256 under a baseline key
// of (rule id, NUL, secret), as the alert store identifies alerts. Without the key the file
// does not help anyone confirm a guessed secret.
//
// File format (JSON): {"format": "secretgate-baseline", "version": 1, "key_id": "<16 hex>",
// "created_at": "...", "findings": [{"fingerprint": "<64 hex>", "rule_id", "location_type",
// "path", "start_line", "commit_sha", "secret_redacted"}]}. key_id is the first 16 hex digits of
// SHA-256("secretgate-baseline-key\0" key): a baseline read with another key is an error, not
// a silent "nothing matches".
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "inspect/detection.h"
#include "util/status.h"

namespace sg::cli {

struct BaselineKey {
  std::string key;  // 32 bytes
  std::string id;   // 16 hex digits
};

// The key: `path` (--baseline-key), else $SECRETGATE_BASELINE_KEY (64 hex digits, for CI
// secrets), else ~/.config/secretgate/baseline.key ($XDG_CONFIG_HOME). A missing file is
// created (32 random bytes, mode 0600) only when `create`.
Result<BaselineKey> LoadBaselineKey(const std::optional<std::string>& path, bool create);

std::string BaselineFingerprint(const BaselineKey& key, const std::string& rule_id,
                                const std::string& secret);

// The fingerprints of the baseline file at `path`; Invalid when it is not a baseline or was
// written with another key.
Result<std::set<std::string>> ReadBaseline(const std::string& path, const BaselineKey& key);

// Writes `detections` (suppressed ones left out) as a baseline, atomically.
Status WriteBaseline(const std::string& path, const BaselineKey& key,
                     const std::vector<const inspect::Detection*>& detections);

}  // namespace sg::cli
