#include "rules/loader.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "rules/gitleaks.h"
#include "util/pcre2.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::rules {
namespace {

int LineOf(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

// Reads the fields of one [[rules]] table; appends problems to `errors` with file:line.
class RuleReader {
 public:
  RuleReader(const toml::table& t, const std::string& file, std::vector<LoadError>& errors)
      : t_(t), file_(file), errors_(errors) {}

  void Error(const toml::node* at, std::string msg) {
    errors_.push_back({file_, at ? LineOf(*at) : LineOf(t_), std::move(msg)});
  }

  std::string String(const char* key, bool required) {
    const toml::node* n = t_.get(key);
    if (!n) {
      if (required) Error(nullptr, std::string("missing required field '") + key + "'");
      return {};
    }
    if (!n->is_string()) {
      Error(n, std::string("field '") + key + "' must be a string");
      return {};
    }
    std::string v = n->as_string()->get();
    if (required && v.empty()) Error(n, std::string("field '") + key + "' must not be empty");
    return v;
  }

  std::vector<std::string> Strings(const toml::table& t, const char* key, size_t min_count,
                                   const char* where = "") {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (!n) {
      if (min_count > 0) {
        errors_.push_back({file_, LineOf(t), std::string("missing required field '") + where +
                                                 key + "'"});
      }
      return out;
    }
    const toml::array* a = n->as_array();
    if (!a) {
      Error(n, std::string("field '") + where + key + "' must be an array of strings");
      return out;
    }
    for (const toml::node& e : *a) {
      if (!e.is_string()) {
        Error(&e, std::string("field '") + where + key + "' must contain only strings");
        continue;
      }
      out.push_back(e.as_string()->get());
    }
    if (out.size() < min_count) {
      Error(n, std::string("field '") + where + key + "' needs at least " +
                   std::to_string(min_count) + " entr" + (min_count == 1 ? "y" : "ies"));
    }
    return out;
  }

  const toml::table& table() const { return t_; }

 private:
  const toml::table& t_;
  const std::string& file_;
  std::vector<LoadError>& errors_;
};

const std::set<std::string, std::less<>> kKnownKeys = {
    "id",        "name",     "provider",   "confidence",        "regex",     "secret_group",
    "keywords",  "entropy",  "validator",  "references",        "examples",  "negative_examples",
    "allowlist", "requires", "mode",       "description",       "tags",      "path"};

void ValidateRegex(RuleReader& r, const toml::node* at, const std::string& what,
                   const std::string& pattern, int* capture_count) {
  std::string err;
  auto code = CompilePcre2(pattern, &err, /*jit=*/false);
  if (!code) {
    r.Error(at, what + " does not compile: " + err);
    return;
  }
  if (capture_count) *capture_count = CaptureCount(code.get());
}

// Named fragments a rule's regex may use, so that the many rules binding a provider's key name
// to a value share one definition of the text between the two (rules/README.md, "Regex macros").
// Each expands to plain PCRE2/Hyperscan syntax before anything else sees the regex.
constexpr std::string_view kIdentMacro = R"([\w.\-]{0,32}?)";
constexpr std::string_view kSepMacro =
    R"(["'\x60]?\]?[ \t]{0,8}(?:=>|->|:=|\?=|=|:|,|\(|>|[ \t])[ \t]{0,8}(?:\(?["'\x60]|\[["'])?)";

// The expansion of macro `name`, or nullopt for an unknown name.
//   ident: the rest of an identifier that starts with the provider's name (`_API_KEY`,
//          `.apiKey`, `-token`, `Secret`);
//   sep:   between a key name and its value: a closing quote or bracket, then `=`, `:`, `:=`,
//          `=>`, `->`, `?=`, a call's `,` or `(`, an XML element's `>`, or only blanks
//          (`KEY value`), then an opening quote;
//   kv:    ident then sep, so `abbysale{{kv}}(VALUE)` takes `ABBYSALE_API_KEY = "VALUE"`;
//   near:  anything, line breaks included, up to 48 bytes: a distinctive provider name closely
//          followed by a value of the provider's shape (nested YAML or JSON, a header, a log);
//   key:   near, then a key name (a word such as `api`, `key`, `token`, `bearer`, the rest of the
//          identifier) and sep: a provider's name that is also a word of code or English, as
//          the parent of a key (`acme:\n  api_key: `), in a call (`Acme(api_key="`), in a
//          header (`X-Acme-Token: `); the value must be what that key is set to.
constexpr std::string_view kNearMacro = R"([\s\S]{0,48}?)";
constexpr std::string_view kKeyWordMacro = R"((?i:api|key|token|secret|auth|bearer|pass|credential|access))";
std::optional<std::string> RegexMacro(std::string_view name) {
  if (name == "ident") return std::string(kIdentMacro);
  if (name == "sep") return std::string(kSepMacro);
  if (name == "kv") return std::string(kIdentMacro) + std::string(kSepMacro);
  if (name == "near") return std::string(kNearMacro);
  if (name == "key") {
    return std::string(kNearMacro) + std::string(kKeyWordMacro) + std::string(kIdentMacro) +
           std::string(kSepMacro);
  }
  return std::nullopt;
}

// Replaces every `{{name}}` in `regex` by its expansion; an unknown name is an error.
std::string ExpandRegexMacros(const std::string& regex, std::string* error) {
  std::string out;
  size_t at = 0;
  for (;;) {
    const size_t open = regex.find("{{", at);
    if (open == std::string::npos) break;
    const size_t close = regex.find("}}", open + 2);
    if (close == std::string::npos) {
      *error = "unterminated regex macro '{{' at offset " + std::to_string(open);
      return regex;
    }
    const std::string_view name = std::string_view(regex).substr(open + 2, close - open - 2);
    const std::optional<std::string> expansion = RegexMacro(name);
    if (!expansion) {
      *error = "unknown regex macro '{{" + std::string(name) + "}}' (known: ident, sep, kv, near, key)";
      return regex;
    }
    out.append(regex, at, open - at);
    out += *expansion;
    at = close + 2;
  }
  out.append(regex, at);
  return out;
}

std::optional<Rule> ReadRule(const toml::table& t, const std::string& file,
                             std::vector<LoadError>& errors) {
  size_t errors_before = errors.size();
  RuleReader r(t, file, errors);
  Rule rule;
  rule.file = file;
  rule.line = LineOf(t);
  for (auto&& [key, value] : t) {
    if (!kKnownKeys.count(key.str())) {
      r.Error(&value, "unknown field '" + std::string(key.str()) + "'");
    }
  }
  rule.id = r.String("id", true);
  static const std::regex kIdPattern("^[a-z0-9][a-z0-9._-]*$");
  if (!rule.id.empty() && !std::regex_match(rule.id, kIdPattern)) {
    r.Error(t.get("id"), "rule id '" + rule.id + "' must match ^[a-z0-9][a-z0-9._-]*$");
  }
  rule.name = r.String("name", true);
  rule.provider = r.String("provider", true);
  std::string confidence = r.String("confidence", true);
  if (confidence == "high") {
    rule.confidence = Confidence::kHigh;
  } else if (confidence == "medium") {
    rule.confidence = Confidence::kMedium;
  } else if (confidence == "low") {
    rule.confidence = Confidence::kLow;
  } else if (!confidence.empty()) {
    r.Error(t.get("confidence"), "confidence must be high, medium or low, not '" + confidence + "'");
  }
  rule.regex = r.String("regex", true);
  if (std::string err; !rule.regex.empty()) {
    rule.regex = ExpandRegexMacros(rule.regex, &err);
    if (!err.empty()) r.Error(t.get("regex"), err);
  }
  rule.validator = r.String("validator", false);
  if (!rule.validator.empty() && rule.validator != "github-crc32" &&
      rule.validator != "npm-crc32") {
    r.Error(t.get("validator"),
            "unknown validator '" + rule.validator + "' (known: github-crc32, npm-crc32)");
  }
  rule.path_regex = r.String("path", false);
  if (!rule.path_regex.empty()) ValidateRegex(r, t.get("path"), "path regex", rule.path_regex, nullptr);
  rule.mode = r.String("mode", false);
  if (!rule.mode.empty() && rule.mode != "block" && rule.mode != "warn" && rule.mode != "audit") {
    r.Error(t.get("mode"), "mode must be block, warn or audit, not '" + rule.mode + "'");
  }
  rule.keywords = r.Strings(t, "keywords", 1);
  for (const auto& k : rule.keywords) {
    if (k.empty()) r.Error(t.get("keywords"), "keywords must not be empty strings");
  }
  rule.references = r.Strings(t, "references", 1);
  rule.examples = r.Strings(t, "examples", 1);
  rule.negative_examples = r.Strings(t, "negative_examples", 1);
  if (const toml::node* n = t.get("entropy")) {
    if (auto v = n->value<double>(); v && *v >= 0 && *v <= 8) {
      rule.entropy = *v;
    } else {
      r.Error(n, "entropy must be a number between 0 and 8 (bits per byte)");
    }
  }
  int captures = -1;
  if (!rule.regex.empty()) ValidateRegex(r, t.get("regex"), "regex", rule.regex, &captures);
  if (const toml::node* n = t.get("secret_group")) {
    auto v = n->value<int64_t>();
    if (!v || *v < 0) {
      r.Error(n, "secret_group must be a non-negative integer");
    } else if (captures >= 0 && *v > captures) {
      r.Error(n, "secret_group " + std::to_string(*v) + " but the regex has only " +
                     std::to_string(captures) + " capturing group(s)");
    } else {
      rule.secret_group = static_cast<int>(*v);
    }
  } else {
    rule.secret_group = captures > 0 ? 1 : 0;
  }
  if (const toml::node* n = t.get("allowlist")) {
    if (const toml::table* a = n->as_table()) {
      for (auto&& [key, value] : *a) {
        static const std::set<std::string, std::less<>> kAllowKeys = {
            "regexes", "paths", "stopwords", "match_regexes", "line_regexes"};
        if (!kAllowKeys.count(key.str())) {
          r.Error(&value, "unknown field 'allowlist." + std::string(key.str()) + "'");
        }
      }
      rule.allowlist.regexes = r.Strings(*a, "regexes", 0, "allowlist.");
      rule.allowlist.paths = r.Strings(*a, "paths", 0, "allowlist.");
      rule.allowlist.stopwords = r.Strings(*a, "stopwords", 0, "allowlist.");
      rule.allowlist.match_regexes = r.Strings(*a, "match_regexes", 0, "allowlist.");
      rule.allowlist.line_regexes = r.Strings(*a, "line_regexes", 0, "allowlist.");
      const std::pair<const char*, const std::vector<std::string>*> kRegexLists[] = {
          {"regexes", &rule.allowlist.regexes},
          {"match_regexes", &rule.allowlist.match_regexes},
          {"line_regexes", &rule.allowlist.line_regexes}};
      for (const auto& [key, list] : kRegexLists) {
        for (const auto& re : *list) {
          ValidateRegex(r, a->get(key), "allowlist regex '" + re + "'", re, nullptr);
        }
      }
      for (const auto& re : rule.allowlist.paths) {
        ValidateRegex(r, a->get("paths"), "allowlist path regex '" + re + "'", re, nullptr);
      }
    } else {
      r.Error(n, "allowlist must be a table");
    }
  }
  if (const toml::node* n = t.get("requires")) {
    if (const toml::table* c = n->as_table()) {
      Companion comp;
      if (auto v = c->get("rule"); v && v->is_string()) {
        comp.rule = v->as_string()->get();
      } else {
        r.Error(n, "requires.rule must name the companion rule's id");
      }
      if (const toml::node* w = c->get("within_lines")) {
        auto v = w->value<int64_t>();
        if (!v || *v < 0) {
          r.Error(w, "requires.within_lines must be a non-negative integer");
        } else {
          comp.within_lines = static_cast<int>(*v);
        }
      }
      rule.requires_companion = comp;
    } else {
      r.Error(n, "requires must be a table with 'rule' and 'within_lines'");
    }
  }
  if (errors.size() != errors_before) return std::nullopt;
  return rule;
}

std::string CanonicalForDigest(const Rule& r) {
  std::ostringstream o;
  auto put = [&o](std::string_view s) { o << s.size() << ':' << s << ';'; };
  put(r.id);
  put(r.regex);
  put(std::to_string(r.secret_group));
  for (const auto& k : r.keywords) put(k);
  put(r.path_regex);
  o << '|';
  return o.str();
}

}  // namespace

std::string_view ConfidenceName(Confidence c) {
  switch (c) {
    case Confidence::kHigh: return "high";
    case Confidence::kMedium: return "medium";
    case Confidence::kLow: return "low";
  }
  return "high";
}

const Rule* RuleSet::Find(std::string_view id) const {
  for (const auto& r : rules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

void ParseRulesToml(std::string_view content, const std::string& file, LoadResult& out) {
  toml::table doc;
  try {
    doc = toml::parse(content, file);
  } catch (const toml::parse_error& e) {
    out.errors.push_back({file, static_cast<int>(e.source().begin.line),
                          "invalid TOML: " + std::string(e.description())});
    return;
  }
  for (auto&& [key, value] : doc) {
    if (key.str() != "rules") {
      out.errors.push_back({file, LineOf(value), "unknown top-level key '" +
                                                     std::string(key.str()) +
                                                     "' (rules go in [[rules]] tables)"});
    }
  }
  const toml::array* rules = doc["rules"].as_array();
  if (!rules) {
    if (!doc.contains("rules")) out.errors.push_back({file, 0, "no [[rules]] tables"});
    else out.errors.push_back({file, LineOf(*doc.get("rules")), "'rules' must be [[rules]] tables"});
    return;
  }
  for (const toml::node& n : *rules) {
    const toml::table* t = n.as_table();
    if (!t) {
      out.errors.push_back({file, LineOf(n), "each entry of 'rules' must be a table"});
      continue;
    }
    if (auto rule = ReadRule(*t, file, out.errors)) out.set.rules.push_back(std::move(*rule));
  }
}

LoadResult LoadRules(const std::vector<std::string>& paths) {
  LoadResult out;
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (IsDirectory(p)) {
      std::vector<std::string> in_dir;
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
        if (e.path().extension() == ".toml" && e.is_regular_file()) {
          in_dir.push_back(e.path().string());
        }
      }
      if (ec) out.errors.push_back({p, 0, "cannot list directory: " + ec.message()});
      std::sort(in_dir.begin(), in_dir.end());
      if (in_dir.empty() && !ec) out.errors.push_back({p, 0, "directory holds no *.toml rule files"});
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back(p);
    }
  }
  for (const auto& f : files) {
    auto content = ReadFile(f);
    if (!content.ok()) {
      out.errors.push_back({f, 0, content.status().message()});
      continue;
    }
    ParseRulesToml(*content, f, out);
  }
  // Ids are unique across every source; companions must exist.
  std::map<std::string, const Rule*, std::less<>> by_id;
  std::vector<Rule> unique;
  for (auto& r : out.set.rules) {
    auto [it, inserted] = by_id.emplace(r.id, &r);
    if (!inserted) {
      out.errors.push_back({r.file, r.line, "duplicate rule id '" + r.id + "' (first defined at " +
                                                it->second->Where() + ")"});
    }
  }
  for (const auto& r : out.set.rules) {
    if (r.requires_companion && !by_id.count(r.requires_companion->rule)) {
      out.errors.push_back({r.file, r.line, "requires.rule names unknown rule '" +
                                                r.requires_companion->rule + "'"});
    }
  }
  RecomputeDigest(out.set);
  return out;
}

void RecomputeDigest(RuleSet& set) {
  std::string canon;
  for (const auto& r : set.rules) canon += CanonicalForDigest(r);
  set.digest = Sha256Hex(canon);
}

Status ErrorsToStatus(const std::vector<LoadError>& errors) {
  if (errors.empty()) return Status::Ok();
  std::string msg;
  for (const auto& e : errors) {
    if (!msg.empty()) msg += "\n";
    msg += e.ToString();
  }
  return Status::Invalid(msg);
}

}  // namespace sg::rules
