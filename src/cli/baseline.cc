#include "cli/baseline.h"

#include <sys/random.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "report/sarif.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/text.h"

namespace sg::cli {
namespace {

std::string DefaultKeyPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  std::string base = xdg && *xdg ? xdg : std::string(home && *home ? home : "/tmp") + "/.config";
  return base + "/secretgate/baseline.key";
}

BaselineKey Keyed(std::string key) {
  BaselineKey k;
  k.id = Sha256Hex(std::string("secretgate-baseline-key") + '\0' + key).substr(0, 16);
  k.key = std::move(key);
  return k;
}

Result<std::string> FromHex(const std::string& hex, const std::string& what) {
  if (hex.size() != 64) return Status::Invalid(what + " must be 64 hex digits");
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    char* end = nullptr;
    std::string byte = hex.substr(i, 2);
    long v = std::strtol(byte.c_str(), &end, 16);
    if (*end || !std::isxdigit(static_cast<unsigned char>(byte[0]))) {
      return Status::Invalid(what + " must be 64 hex digits");
    }
    out += static_cast<char>(v);
  }
  return out;
}

}  // namespace

Result<BaselineKey> LoadBaselineKey(const std::optional<std::string>& path, bool create) {
  if (!path) {
    if (const char* env = std::getenv("SECRETGATE_BASELINE_KEY"); env && *env) {
      auto key = FromHex(env, "SECRETGATE_BASELINE_KEY");
      if (!key.ok()) return key.status();
      return Keyed(*key);
    }
  }
  const std::string file = path ? *path : DefaultKeyPath();
  if (!PathExists(file)) {
    if (!create) {
      return Status::NotFound("no baseline key at " + file +
                              ": pass --baseline-key FILE or set SECRETGATE_BASELINE_KEY (the key "
                              "the baseline was written with)");
    }
    std::string key(32, '\0');
    if (getrandom(key.data(), key.size(), 0) != static_cast<ssize_t>(key.size())) {
      return Status::IOError("cannot read random bytes for a baseline key");
    }
    size_t slash = file.rfind('/');
    if (slash != std::string::npos && slash > 0)
      SG_RETURN_IF_ERROR(MakeDirs(file.substr(0, slash), 0700));
    SG_RETURN_IF_ERROR(WriteFileAtomic(file, key, 0600));
  }
  auto key = ReadFile(file);
  if (!key.ok()) return key.status();
  if (key->size() != 32) {
    return Status::Invalid(file + ": a baseline key is 32 bytes, this file has " +
                           std::to_string(key->size()));
  }
  return Keyed(std::move(*key));
}

std::string BaselineFingerprint(const BaselineKey& key, const std::string& rule_id,
                                const std::string& secret) {
  return HexEncode(HmacSha256Raw(key.key, rule_id + '\0' + secret));
}

Result<std::set<std::string>> ReadBaseline(const std::string& path, const BaselineKey& key) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("format", "") != "secretgate-baseline") {
    return Status::Invalid(path + ": not a secretgate baseline (write one with --write-baseline)");
  }
  if (doc.value("version", 0) != 1) {
    return Status::Invalid(path + ": baseline version " +
                           doc.value("version", nlohmann::json()).dump() + " is not supported");
  }
  const std::string id = doc.value("key_id", "");
  if (id != key.id) {
    return Status::Invalid(path + ": written with another baseline key (key id " +
                           EscapeControl(id) + ", this key's id is " + key.id +
                           "): pass --baseline-key FILE or SECRETGATE_BASELINE_KEY");
  }
  std::set<std::string> out;
  if (!doc.contains("findings") || !doc["findings"].is_array()) {
    return Status::Invalid(path + ": no findings array");
  }
  for (const auto& f : doc["findings"]) {
    if (!f.is_object() || !f.contains("fingerprint") || !f["fingerprint"].is_string()) {
      return Status::Invalid(path + ": a finding without a fingerprint");
    }
    out.insert(f["fingerprint"].get<std::string>());
  }
  return out;
}

Status WriteBaseline(const std::string& path, const BaselineKey& key,
                     const std::vector<const inspect::Detection*>& detections) {
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  std::set<std::string> seen;
  for (const auto* d : detections) {
    if (d->suppressed()) continue;
    std::string fp = BaselineFingerprint(key, d->finding.rule->id, d->finding.secret);
    if (!seen.insert(fp + (d->primary() ? d->primary()->path : "")).second) continue;
    const inspect::Origin* o = d->primary();
    findings.push_back(
        {{"fingerprint", fp},
         {"rule_id", d->finding.rule->id},
         {"location_type", report::LocationType(*d)},
         {"path", o && !o->path.empty() ? nlohmann::ordered_json(o->path) : nullptr},
         {"start_line", d->finding.start_line},
         {"commit_sha",
          o && !o->commit_sha.empty() ? nlohmann::ordered_json(o->commit_sha) : nullptr},
         {"secret_redacted", Redact(d->finding.secret)}});
  }
  nlohmann::ordered_json doc = {{"format", "secretgate-baseline"},
                                {"version", 1},
                                {"key_id", key.id},
                                {"created_at", NowRfc3339()},
                                {"findings", findings}};
  return WriteFileAtomic(
      path, doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", 0644);
}

}  // namespace sg::cli
