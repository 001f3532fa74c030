// `secretgate scan` in the exchange formats CI systems ingest: SARIF 2.1.0 (GitHub code
// scanning, GitLab) and CSV. Secrets appear only redacted.
#pragma once

#include <string>
#include <vector>

#include "inspect/detection.h"

namespace sg::report {

// A SARIF 2.1.0 log with one run: every rule that reported (id, name, short and full
// description, help with the fix, helpUri, level by confidence), and one result per detection
// with its physical location (path and region; commit and tag messages get a logical location
// naming the object instead), partialFingerprints that stay stable across runs without
// revealing the secret, and commit and blob in its properties. `baselined` detections are
// included with an external suppression, as code-scanning dashboards expect.
std::string ScanSarif(const std::vector<const inspect::Detection*>& shown,
                      const std::vector<const inspect::Detection*>& baselined);

// One header line, then one line per detection: rule_id, secret_type_display_name,
// location_type, path, start_line, end_line, start_column, end_column, commit_sha, blob_sha,
// secret_redacted, baselined. Fields are quoted when needed; a field that a spreadsheet would
// run as a formula (starting with = + - @ or a tab) gets a leading apostrophe, and control
// characters are escaped.
std::string ScanCsv(const std::vector<const inspect::Detection*>& shown,
                    const std::vector<const inspect::Detection*>& baselined);

// "commit" (a file's content), "commit_message", "tag_message" or "file" (outside git).
std::string LocationType(const inspect::Detection& d);

}  // namespace sg::report
