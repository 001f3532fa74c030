#include "report/sarif.h"

#include <map>
#include <nlohmann/json.hpp>

#include "build_config.h"
#include "util/text.h"

namespace sg::report {
namespace {

using nlohmann::ordered_json;

const char* Level(rules::Confidence c) {
  switch (c) {
    case rules::Confidence::kHigh:
      return "error";
    case rules::Confidence::kMedium:
      return "warning";
    default:
      return "note";
  }
}

// SARIF's rule `name` is an identifier: "github-pat-classic" -> "GithubPatClassic".
std::string RuleName(const std::string& id) {
  std::string out;
  bool up = true;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

ordered_json RuleJson(const rules::Rule& r) {
  const std::string fix =
      "Remove the secret from the code and from history, and rotate it: once committed, a "
      "secret must be considered compromised. Revoke it at " +
      (r.provider.empty() || r.provider == "generic" ? std::string("its issuer") : r.provider) +
      " and issue a new one; keep the new one in a secret store or the environment.";
  ordered_json j;
  j["id"] = r.id;
  j["name"] = RuleName(r.id);
  j["shortDescription"] = {{"text", r.name}};
  j["fullDescription"] = {{"text", r.name + " (" + r.id + ")" +
                                       (r.provider.empty() ? "" : ", provider " + r.provider)}};
  j["help"] = {{"text", fix}, {"markdown", "**" + r.name + "**\n\n" + fix}};
  if (!r.references.empty()) j["helpUri"] = r.references[0];
  j["defaultConfiguration"] = {{"level", Level(r.confidence)}};
  j["properties"] = {{"tags", {"security", "secret"}},
                     {"precision", std::string(rules::ConfidenceName(r.confidence))}};
  return j;
}

ordered_json ResultJson(const inspect::Detection& d, size_t rule_index, bool baselined) {
  const inspect::Origin* o = d.primary();
  const std::string type = LocationType(d);
  const std::string redacted = Redact(d.finding.secret);
  ordered_json j;
  j["ruleId"] = d.finding.rule->id;
  j["ruleIndex"] = rule_index;
  j["level"] = Level(d.finding.rule->confidence);
  j["message"] = {{"text", d.finding.rule->name + " found: " + redacted}};
  ordered_json region = {{"startLine", d.finding.start_line},
                         {"startColumn", d.finding.start_column},
                         {"endLine", d.finding.end_line},
                         {"endColumn", d.finding.end_column + 1}};  // SARIF's end is exclusive
  std::string where;
  if (o && !o->path.empty() && (type == "commit" || type == "file")) {
    where = o->path;
    j["locations"] = {{{"physicalLocation",
                        {{"artifactLocation", {{"uri", o->path}, {"uriBaseId", "%SRCROOT%"}}},
                         {"region", region}}}}};
  } else {
    // A message, or a blob no commit reaches: name the object.
    where = d.blob_sha;
    ordered_json logical = {{"name", type == "commit" ? "blob" : type},
                            {"fullyQualifiedName", d.blob_sha},
                            {"kind", "resource"}};
    j["locations"] = {{{"logicalLocations", {logical}}, {"message", {{"text", type}}}}};
  }
  // Stable across runs and commits, and no help to anyone guessing the secret: the rule, where
  // it is, and the redacted form the message shows anyway.
  j["partialFingerprints"] = {
      {"secretgate/v1",
       Sha256Hex(d.finding.rule->id + '\0' + where + '\0' + redacted).substr(0, 32)}};
  ordered_json props = {{"location_type", type}};
  if (o && !o->commit_sha.empty()) props["commit_sha"] = o->commit_sha;
  if (!d.blob_sha.empty()) props["blob_sha"] = d.blob_sha;
  j["properties"] = props;
  if (baselined) {
    j["suppressions"] = {
        {{"kind", "external"},
         {"justification", "in the baseline (a resolved alert or a baseline file)"}}};
  }
  return j;
}

// Quotes a CSV field; disarms spreadsheet formulas.
std::string CsvField(std::string s) {
  s = EscapeControl(s);
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s = "'" + s;
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string LocationType(const inspect::Detection& d) {
  switch (d.where) {
    case inspect::Where::kCommitMessage:
      return "commit_message";
    case inspect::Where::kTagMessage:
      return "tag_message";
    case inspect::Where::kFile:
      break;
  }
  return d.blob_sha.empty() ? "file" : "commit";
}

std::string ScanSarif(const std::vector<const inspect::Detection*>& shown,
                      const std::vector<const inspect::Detection*>& baselined) {
  std::map<std::string, size_t> index;
  ordered_json rules = ordered_json::array();
  ordered_json results = ordered_json::array();
  auto add = [&](const inspect::Detection& d, bool is_baselined) {
    auto [it, inserted] = index.emplace(d.finding.rule->id, rules.size());
    if (inserted) rules.push_back(RuleJson(*d.finding.rule));
    results.push_back(ResultJson(d, it->second, is_baselined));
  };
  for (const auto* d : shown) add(*d, false);
  for (const auto* d : baselined) add(*d, true);
  ordered_json driver = {{"name", "secretgate"},
                         {"version", build::kVersion},
                         {"semanticVersion", build::kVersion},
                         {"rules", rules}};
  ordered_json log = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                      {"version", "2.1.0"},
                      {"runs", {{{"tool", {{"driver", driver}}}, {"results", results}}}}};
  return log.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string ScanCsv(const std::vector<const inspect::Detection*>& shown,
                    const std::vector<const inspect::Detection*>& baselined) {
  std::string out =
      "rule_id,secret_type_display_name,location_type,path,start_line,end_line,start_column,"
      "end_column,commit_sha,blob_sha,secret_redacted,baselined\n";
  auto add = [&](const inspect::Detection& d, bool is_baselined) {
    const inspect::Origin* o = d.primary();
    std::vector<std::string> f = {d.finding.rule->id,
                                  d.finding.rule->name,
                                  LocationType(d),
                                  o ? o->path : "",
                                  std::to_string(d.finding.start_line),
                                  std::to_string(d.finding.end_line),
                                  std::to_string(d.finding.start_column),
                                  std::to_string(d.finding.end_column),
                                  o ? o->commit_sha : "",
                                  d.blob_sha,
                                  Redact(d.finding.secret),
                                  is_baselined ? "true" : "false"};
    for (size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + CsvField(f[i]);
    out += '\n';
  };
  for (const auto* d : shown) add(*d, false);
  for (const auto* d : baselined) add(*d, true);
  return out;
}

}  // namespace sg::report
