#include "rules/gitleaks.h"

#include <set>

#include <toml++/toml.h>

#include "util/fs.h"
#include "util/pcre2.h"
#include "util/text.h"

namespace sg::rules {
namespace {

std::vector<std::string> StringArray(const toml::node* n) {
  std::vector<std::string> out;
  if (const toml::array* a = n ? n->as_array() : nullptr) {
    for (const auto& e : *a) {
      if (e.is_string()) out.push_back(e.as_string()->get());
    }
  }
  return out;
}

std::string Str(const toml::table& t, const char* key) {
  if (const toml::node* n = t.get(key); n && n->is_string()) return n->as_string()->get();
  return {};
}

// Reads one gitleaks allowlist table into `al`; reports what cannot be honoured. Its regexes
// go where its regexTarget says: the secret (default), the whole match, or the line.
void ReadAllowlist(const toml::table& t, const std::string& who, Allowlist& al,
                   GitleaksReport& report, bool* unusable) {
  std::string target = Str(t, "regexTarget");
  std::vector<std::string> regexes = StringArray(t.get("regexes"));
  std::vector<std::string> paths = StringArray(t.get("paths"));
  std::vector<std::string> stopwords = StringArray(t.get("stopwords"));
  std::vector<std::string>* regex_list = &al.regexes;
  if (target == "match") {
    regex_list = &al.match_regexes;
  } else if (target == "line") {
    regex_list = &al.line_regexes;
  } else if (!target.empty() && target != "secret") {
    report.untranslated.push_back(who + ": allowlist regexTarget '" + target +
                                  "' is unknown (gitleaks knows secret, match and line); its "
                                  "regexes were ignored");
    regexes.clear();
  }
  if (!StringArray(t.get("commits")).empty()) {
    report.untranslated.push_back(who + ": allowlist 'commits' is not supported; ignored");
  }
  std::string condition = ToLowerAscii(Str(t, "condition"));
  int criteria = !regexes.empty() + !paths.empty() + !stopwords.empty();
  if (condition == "and" && criteria > 1) {
    report.untranslated.push_back(
        who + ": allowlist condition AND over several criteria is not supported");
    if (unusable) *unusable = true;
    return;
  }
  regex_list->insert(regex_list->end(), regexes.begin(), regexes.end());
  al.paths.insert(al.paths.end(), paths.begin(), paths.end());
  al.stopwords.insert(al.stopwords.end(), stopwords.begin(), stopwords.end());
}

int LineOf(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

std::string At(const std::string& path, const toml::node& n) {
  return path + ":" + std::to_string(LineOf(n));
}

void ImportFile(const std::string& path, const GitleaksOptions& options, LoadResult& out,
                GitleaksReport& report, std::set<std::string>& seen_files, int depth) {
  if (depth > 4 || !seen_files.insert(path).second) {
    out.errors.push_back({path, 0, "gitleaks [extend] chain is too deep or circular"});
    return;
  }
  auto content = ReadFile(path);
  if (!content.ok()) {
    out.errors.push_back({path, 0, content.status().message()});
    return;
  }
  toml::table doc;
  try {
    doc = toml::parse(*content, path);
  } catch (const toml::parse_error& e) {
    out.errors.push_back({path, static_cast<int>(e.source().begin.line),
                          "invalid TOML: " + std::string(e.description())});
    return;
  }
  if (const toml::table* ext = doc["extend"].as_table()) {
    if (auto use = ext->get("useDefault"); use && use->value<bool>().value_or(false)) {
      report.notes.push_back(At(path, *use) +
                             ": [extend] useDefault: gitleaks' default rules are "
                             "not imported; secretgate's own default rule pack covers them");
    }
    if (std::string p = Str(*ext, "path"); !p.empty())
      ImportFile(p, options, out, report, seen_files, depth + 1);
    if (const toml::node* d = ext->get("disabledRules"); !StringArray(d).empty()) {
      report.untranslated.push_back(At(path, *d) +
                                    ": [extend] disabledRules is not supported; "
                                    "use rule_modes or remove rules from the rules directory");
    }
  }
  // Global allowlists apply to every rule of this file.
  Allowlist global;
  if (const toml::table* t = doc["allowlist"].as_table()) {
    ReadAllowlist(*t, At(path, *t) + ": global allowlist", global, report, nullptr);
  }
  if (const toml::array* a = doc["allowlists"].as_array()) {
    for (const auto& n : *a) {
      if (const toml::table* t = n.as_table()) {
        ReadAllowlist(*t, At(path, *t) + ": global allowlist", global, report, nullptr);
      }
    }
  }
  const toml::array* rules = doc["rules"].as_array();
  if (!rules) return;
  for (const auto& n : *rules) {
    const toml::table* t = n.as_table();
    if (!t) continue;
    std::string id = Str(*t, "id");
    int line = LineOf(*t);
    std::string who = At(path, *t) + ": rule" + (id.empty() ? std::string() : " " + id);
    std::string regex = Str(*t, "regex");
    std::string path_re = Str(*t, "path");
    if (id.empty()) {
      report.untranslated.push_back(who + ": has no id");
      continue;
    }
    if (regex.empty()) {
      report.untranslated.push_back(who + ": a rule without `regex` (file-name-only rule) is not supported");
      continue;
    }
    std::string err;
    auto code = CompilePcre2(regex, &err, false);
    if (!code) {
      report.untranslated.push_back(who + ": regex is not valid PCRE2: " + err);
      continue;
    }
    Rule r;
    r.id = "gitleaks." + ToLowerAscii(id);
    r.name = Str(*t, "description").empty() ? id : Str(*t, "description");
    r.provider = "gitleaks";
    r.confidence = Confidence::kMedium;
    r.regex = regex;
    r.keywords = StringArray(t->get("keywords"));
    // Without secretGroup gitleaks takes the first group that captured something, so an
    // alternation of groups (`(a...)|(b...)`) reports whichever branch matched.
    if (const toml::node* g = t->get("secretGroup"); g && g->is_integer()) {
      r.secret_group = static_cast<int>(g->as_integer()->get());
    } else {
      r.secret_group = CaptureCount(code.get()) > 0 ? Rule::kFirstNonEmptyGroup : 0;
    }
    if (r.secret_group > CaptureCount(code.get())) {
      report.untranslated.push_back(who + ": secretGroup " + std::to_string(r.secret_group) +
                                    " exceeds the regex's groups");
      continue;
    }
    if (const toml::node* e = t->get("entropy")) r.entropy = e->value<double>().value_or(0);
    r.gitleaks_entropy = true;
    r.require_digit = r.entropy > 0 && id.rfind("generic", 0) == 0;
    r.placeholder_filter = options.placeholder_filter;
    if (!path_re.empty()) {
      if (!CompilePcre2(path_re, &err, false)) {
        report.untranslated.push_back(who + ": path is not valid PCRE2: " + err);
        continue;
      }
      r.path_regex = path_re;
    }
    bool unusable = false;
    r.allowlist = global;
    auto allow_who = [&](const toml::table& al) { return At(path, al) + ": rule " + id; };
    if (const toml::table* al = (*t)["allowlist"].as_table()) {
      ReadAllowlist(*al, allow_who(*al), r.allowlist, report, &unusable);
    }
    if (const toml::array* als = (*t)["allowlists"].as_array()) {
      for (const auto& an : *als) {
        if (const toml::table* al = an.as_table()) {
          ReadAllowlist(*al, allow_who(*al), r.allowlist, report, &unusable);
        }
      }
    }
    if (unusable) continue;
    bool bad_allow = false;
    for (const auto* list :
         {&r.allowlist.regexes, &r.allowlist.match_regexes, &r.allowlist.line_regexes}) {
      for (const auto& re : *list) bad_allow |= !CompilePcre2(re, &err, false);
    }
    for (const auto& re : r.allowlist.paths) bad_allow |= !CompilePcre2(re, &err, false);
    if (bad_allow) {
      report.untranslated.push_back(who + ": an allowlist regex is not valid PCRE2: " + err);
      continue;
    }
    r.file = path;
    r.line = line;
    r.imported = true;
    if (out.set.Find(r.id)) {
      report.untranslated.push_back(who + ": duplicate id " + r.id);
      continue;
    }
    out.set.rules.push_back(std::move(r));
    ++report.translated;
  }
}

}  // namespace

GitleaksReport ImportGitleaks(const std::string& path, LoadResult& out,
                              const GitleaksOptions& options) {
  GitleaksReport report;
  std::set<std::string> seen;
  ImportFile(path, options, out, report, seen, 0);
  RecomputeDigest(out.set);
  return report;
}

}  // namespace sg::rules
