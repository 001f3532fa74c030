// A detection rule as loaded from a rules TOML file (schema: rules/README.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sg::rules {

enum class Confidence { kHigh, kMedium, kLow };

struct Allowlist {
  std::vector<std::string> regexes;    // PCRE2, tested against the extracted secret
  std::vector<std::string> paths;      // PCRE2, tested against the file path
  std::vector<std::string> stopwords;  // case-insensitive substrings of the secret
  // PCRE2, tested against the whole regex match (the secret with its key name or URL) and
  // against the line(s) that hold the match: gitleaks' regexTarget = "match" / "line".
  std::vector<std::string> match_regexes;
  std::vector<std::string> line_regexes;
};

// A "pattern pair": the rule reports only when `rule` also matches in the same file, within
// `within_lines` lines of the secret (0: anywhere in the file).
struct Companion {
  std::string rule;
  int within_lines = 0;
};

struct Rule {
  std::string id;
  std::string name;
  std::string provider;
  Confidence confidence = Confidence::kHigh;
  std::string regex;
  // Capture group that holds the secret; 0 is the whole match. kFirstNonEmptyGroup takes the
  // first group that captured a non-empty string, else the whole match (gitleaks' rule when a
  // config sets no secretGroup).
  int secret_group = 0;
  static constexpr int kFirstNonEmptyGroup = -1;
  std::vector<std::string> keywords;
  double entropy = 0;         // minimum Shannon entropy of the secret, bits per byte
  std::string validator;      // "", "github-crc32" or "npm-crc32"
  std::vector<std::string> references;
  std::vector<std::string> examples;
  std::vector<std::string> negative_examples;
  Allowlist allowlist;
  std::optional<Companion> requires_companion;
  std::string mode;           // per-rule policy override: "", "block", "warn" or "audit"
  // When set, the rule applies only to files whose path matches this PCRE2 regex.
  std::string path_regex;
  // Translated from another tool's format: no examples or references to check.
  bool imported = false;
  // secretgate's built-in placeholder filter applies (rules/README.md, step 5). Off for
  // imported gitleaks rules unless the config asks for it: gitleaks has no such filter.
  bool placeholder_filter = true;
  // gitleaks' entropy semantics: a secret whose entropy is not above `entropy` is dropped.
  bool gitleaks_entropy = false;
  // gitleaks' rule for its generic rules (id starting with "generic", entropy set): a secret
  // without a digit is dropped.
  bool require_digit = false;

  // Where the rule was defined, for error messages: "rules/github.toml:12".
  std::string file;
  int line = 0;
  std::string Where() const { return file + ":" + std::to_string(line); }
};

std::string_view ConfidenceName(Confidence c);

// Every rule from every source, in load order, with ids unique across the set.
struct RuleSet {
  std::vector<Rule> rules;
  // SHA-256 over the canonical content of every rule: the key of compiled caches.
  std::string digest;
  const Rule* Find(std::string_view id) const;
};

}  // namespace sg::rules
