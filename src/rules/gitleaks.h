// Importing a gitleaks TOML config as an extra rule source. What translates becomes ordinary
// rules (ids prefixed "gitleaks."); what does not is reported with the rule id and the reason,
// never silently dropped.
#pragma once

#include <string>
#include <vector>

#include "rules/loader.h"

namespace sg::rules {

struct GitleaksOptions {
  // Apply secretgate's placeholder filter (rules/README.md, step 5) to the imported rules.
  // gitleaks has none, so by default a gitleaks user gets what gitleaks gives.
  bool placeholder_filter = false;
};

struct GitleaksReport {
  size_t translated = 0;
  // "<file>:<line>: rule <id>: <reason>", or "<file>:<line>: <reason>" for whole-config
  // features.
  std::vector<std::string> untranslated;
  // Notes that change nothing in the result but the admin should know.
  std::vector<std::string> notes;
};

// Translates the gitleaks config in `path` (following [extend] path = ...), appending rules to
// `out.set` and problems that make the file unusable to `out.errors`.
// The rules keep gitleaks' semantics where secretgate's differ: the first non-empty capture
// group without secretGroup, entropy that must be above the threshold, the digit rule of
// rules whose id starts with "generic", allowlists on the secret, the match or the line.
GitleaksReport ImportGitleaks(const std::string& path, LoadResult& out,
                              const GitleaksOptions& options = {});

// Recomputes `set.digest` after rules were added.
void RecomputeDigest(RuleSet& set);

}  // namespace sg::rules
