// Importing a gitleaks TOML config as an extra rule source. What translates becomes ordinary
// rules (ids prefixed "gitleaks."); what does not is reported with the rule id and the reason,
// never silently dropped.
#pragma once

#include <string>
#include <vector>

#include "rules/loader.h"

namespace sg::rules {

struct GitleaksReport {
  size_t translated = 0;
  // "rule <id>: <reason>" or "<file>: <reason>" for whole-config features.
  std::vector<std::string> untranslated;
  // Notes that change nothing in the result but the admin should know.
  std::vector<std::string> notes;
};

// Translates the gitleaks config in `path` (following [extend] path = ...), appending rules to
// `out.set` and problems that make the file unusable to `out.errors`.
GitleaksReport ImportGitleaks(const std::string& path, LoadResult& out);

// Recomputes `set.digest` after rules were added.
void RecomputeDigest(RuleSet& set);

}  // namespace sg::rules
