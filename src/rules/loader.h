// Loading and validating rules from TOML files.
#pragma once

#include <string>
#include <vector>

#include "rules/rule.h"
#include "util/status.h"

namespace sg::rules {

// One problem in a rule source, located as precisely as the source allows.
struct LoadError {
  std::string file;
  int line = 0;  // 0 when the whole file is at fault
  std::string message;
  std::string ToString() const {
    return line > 0 ? file + ":" + std::to_string(line) + ": " + message : file + ": " + message;
  }
};

struct LoadResult {
  RuleSet set;
  std::vector<LoadError> errors;  // every problem found; rules with errors are left out of `set`
  bool from_cache = false;        // LoadRulesCached: read from the cache, no TOML parsed
  bool ok() const { return errors.empty(); }
};

// Loads every path: a file is read as rules TOML; a directory contributes its *.toml files in
// name order (not recursive). Validates each rule's fields and compiles its regexes with PCRE2
// so that a bad pattern is reported here, with file:line, not at scan time.
LoadResult LoadRules(const std::vector<std::string>& paths);

// Parses one TOML document (already read) whose name is `file` for messages.
void ParseRulesToml(std::string_view content, const std::string& file, LoadResult& out);

// Joins all errors into one Status (Invalid), or Ok when there are none.
Status ErrorsToStatus(const std::vector<LoadError>& errors);

}  // namespace sg::rules
