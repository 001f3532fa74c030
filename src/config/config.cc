#include "config/config.h"

#include <grp.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cstdlib>

#include "build_config.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::config {
namespace {

using Setter = std::function<std::string(Config&, const std::vector<std::string>&)>;

struct Key {
  KeyDoc doc;
  bool list;
  Setter set;  // returns an error message, empty on success
};

std::string SetBool(bool& out, const std::string& v) {
  std::string l = ToLowerAscii(v);
  if (l == "true" || l == "yes" || l == "on" || l == "1") {
    out = true;
  } else if (l == "false" || l == "no" || l == "off" || l == "0") {
    out = false;
  } else {
    return "expected true or false, got '" + v + "'";
  }
  return {};
}

std::string SetSize(int64_t& out, const std::string& v) {
  int64_t n = ParseByteSize(v);
  if (n <= 0) return "expected a size such as 10485760 or \"10MiB\", got '" + v + "'";
  out = n;
  return {};
}

std::string SetMode(Mode& out, const std::string& v) {
  auto m = ParseMode(v);
  if (!m) return "expected block, warn or audit, got '" + v + "'";
  out = *m;
  return {};
}

std::string SetDays(double& out, const std::string& v) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || !end || *end || !(d > 0) || d > 366) return "expected days (0 < d <= 366), got '" + v + "'";
  out = d;
  return {};
}

const std::vector<Key>& Table() {
  static const std::vector<Key> keys = {
      {{"rules", "secretgate.rules", "<prefix>/share/secretgate/rules",
        "Rule files or directories (every *.toml in a directory) to load."},
       true,
       [](Config& c, const std::vector<std::string>& v) {
         c.rules = v;
         c.rules_set = true;
         return std::string();
       }},
      {{"extra_rules", "secretgate.extraRules", "[]",
        "Rule files or directories added to `rules`."},
       true,
       [](Config& c, const std::vector<std::string>& v) {
         c.extra_rules = v;
         return std::string();
       }},
      {{"gitleaks_configs", "secretgate.gitleaksConfig", "[]",
        "gitleaks TOML configs to translate and add as rules."},
       true,
       [](Config& c, const std::vector<std::string>& v) {
         c.gitleaks_configs = v;
         return std::string();
       }},
      {{"gitleaks_placeholder_filter", "secretgate.gitleaksPlaceholderFilter", "false",
        "Apply secretgate's placeholder filter to rules translated from gitleaks configs."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         return SetBool(c.gitleaks_placeholder_filter, v[0]);
       }},
      {{"max_blob_size", "secretgate.maxBlobSize", "10MiB",
        "Blobs larger than this are skipped (and the skip logged)."},
       false,
       [](Config& c, const std::vector<std::string>& v) { return SetSize(c.max_blob_size, v[0]); }},
      {{"max_findings_shown", "secretgate.maxFindingsShown", "5",
        "How many findings the pusher sees; the rest are counted."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         char* end = nullptr;
         long n = std::strtol(v[0].c_str(), &end, 10);
         if (!end || *end || n < 1 || n > 1000)
           return "expected a number from 1 to 1000, got '" + v[0] + "'";
         c.max_findings_shown = static_cast<int>(n);
         return std::string();
       }},
      {{"fail_mode", "secretgate.failMode", "open",
        "On an internal error: `open` accepts the push (and logs loudly), `closed` rejects it."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         if (v[0] == "open")
           c.fail_closed = false;
         else if (v[0] == "closed")
           c.fail_closed = true;
         else
           return "expected open or closed, got '" + v[0] + "'";
         return std::string();
       }},
      {{"log_file", "secretgate.logFile", "<git-dir>/secretgate/secretgate.log", "Log file."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         c.log_file = v[0];
         return std::string();
       }},
      {{"log_level", "secretgate.logLevel", "info", "trace, debug, info, warn, error or off."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
         for (const char* l : kLevels) {
           if (v[0] == l) {
             c.log_level = v[0];
             return std::string();
           }
         }
         return "expected trace, debug, info, warn, error or off, got '" + v[0] + "'";
       }},
      {{"log_format", "secretgate.logFormat", "text",
        "text (key=value lines) or json (one JSON object per line); README lists the fields."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         if (v[0] != "text" && v[0] != "json") return "expected text or json, got '" + v[0] + "'";
         c.log_format = v[0];
         return std::string();
       }},
      {{"log_syslog", "secretgate.logSyslog", "false",
        "Also send every log line to syslog (journald on a systemd host)."},
       false,
       [](Config& c, const std::vector<std::string>& v) { return SetBool(c.log_syslog, v[0]); }},
      {{"cache_dir", "secretgate.cacheDir", "/var/cache/secretgate (if writable)",
        "Where compiled rule databases are cached."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         c.cache_dir = v[0];
         return std::string();
       }},
      {{"store_root", "secretgate.storeRoot", "<git-dir>/secretgate",
        "A server-wide alert store directory; empty keeps one store per repository."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         c.store_root = v[0];
         return std::string();
       }},
      {{"cross_repo_key", "secretgate.crossRepoKey", "(none)",
        "A server-wide key file (created on first use): alerts of the same secret compare "
        "across repositories' stores (multi_repo)."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         if (!v[0].empty() && v[0][0] != '/')
           return "expected an absolute path, got '" + v[0] + "'";
         c.cross_repo_key = v[0];
         return std::string();
       }},
      {{"store_group", "secretgate.storeGroup", "(none: private to the user)",
        "Share stores, logs and spooled findings with this group (several OS users pushing)."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         if (v[0].empty()) {
           c.store_group.clear();
           c.store_gid = -1;
           return std::string();
         }
         struct group* g = ::getgrnam(v[0].c_str());
         if (!g) return "no such group '" + v[0] + "'";
         c.store_group = v[0];
         c.store_gid = static_cast<int>(g->gr_gid);
         return std::string();
       }},
      {{"store_secrets", "secretgate.storeSecrets", "false",
        "Store plain secrets in alerts (off: only a keyed hash and a redacted preview)."},
       false,
       [](Config& c, const std::vector<std::string>& v) { return SetBool(c.store_secrets, v[0]); }},
      {{"store", "secretgate.store", "true", "Record findings as alerts in the store."},
       false,
       [](Config& c, const std::vector<std::string>& v) { return SetBool(c.store, v[0]); }},
      {{"mode", "secretgate.mode", "block",
        "block rejects a push with secrets, warn accepts it with a warning, audit only records."},
       false,
       [](Config& c, const std::vector<std::string>& v) { return SetMode(c.mode, v[0]); }},
      {{"block_confidence", "secretgate.blockConfidence", "high",
        "high, medium or low: a finding of a less confident rule warns instead of blocking."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         if (v[0] == "high")
           c.block_confidence = rules::Confidence::kHigh;
         else if (v[0] == "medium")
           c.block_confidence = rules::Confidence::kMedium;
         else if (v[0] == "low")
           c.block_confidence = rules::Confidence::kLow;
         else
           return "expected high, medium or low, got '" + v[0] + "'";
         return std::string();
       }},
      {{"timeout", "secretgate.timeout", "4",
        "Seconds a push may spend scanning; the rest is queued for `secretgate drain`."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         char* end = nullptr;
         double d = std::strtod(v[0].c_str(), &end);
         if (!end || *end || d <= 0 || d > 3600)
           return "expected seconds (0 < t <= 3600), got '" + v[0] + "'";
         c.timeout_seconds = d;
         return std::string();
       }},
      {{"on_timeout", "secretgate.onTimeout", "accept",
        "accept or reject a push whose scan did not finish in time."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         if (v[0] == "accept")
           c.reject_on_timeout = false;
         else if (v[0] == "reject")
           c.reject_on_timeout = true;
         else
           return "expected accept or reject, got '" + v[0] + "'";
         return std::string();
       }},
      {{"allow_bypass", "secretgate.allowBypass", "false",
        "Let pushers bypass a block with `git push -o secretgate.bypass=REASON`."},
       false,
       [](Config& c, const std::vector<std::string>& v) { return SetBool(c.allow_bypass, v[0]); }},
      {{"bypass_users", "secretgate.bypassUser", "[] (everyone)",
        "When set, only these users may bypass."},
       true,
       [](Config& c, const std::vector<std::string>& v) {
         c.bypass_users = v;
         return std::string();
       }},
      {{"exclusions_editors", "secretgate.exclusionsEditor", "bypass_users",
        "Pushers whose changes to the exclusions file are honoured; others' are ignored."},
       true,
       [](Config& c, const std::vector<std::string>& v) {
         c.exclusions_editors = v;
         c.exclusions_editors_set = true;
         return std::string();
       }},
      {{"bypass", "secretgate.bypass", "direct if allow_bypass, else off",
        "off, direct (push options bypass at once, as allow_bypass) or request (a reviewer "
        "approves)."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         if (v[0] == "off") {
           c.allow_bypass = false;
           c.bypass_requests = false;
         } else if (v[0] == "direct") {
           c.allow_bypass = true;
           c.bypass_requests = false;
         } else if (v[0] == "request") {
           c.allow_bypass = false;
           c.bypass_requests = true;
         } else
           return "expected off, direct or request, got '" + v[0] + "'";
         return std::string();
       }},
      {{"bypass_request_expiry", "secretgate.bypassRequestExpiry", "7",
        "Days until a bypass request nobody reviewed expires."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         return SetDays(c.bypass_request_days, v[0]);
       }},
      {{"bypass_window", "secretgate.bypassWindow", "7",
        "Days an approved bypass request lets the same secrets through for its requester."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         return SetDays(c.bypass_window_days, v[0]);
       }},
      {{"serve_url", "secretgate.serveUrl", "(none)",
        "Base URL of `secretgate serve`; rejections then link each alert's page."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         if (!v[0].empty() && v[0].rfind("http://", 0) != 0 && v[0].rfind("https://", 0) != 0) {
           return "expected an http:// or https:// URL, got '" + v[0] + "'";
         }
         c.serve_url = v[0];
         while (!c.serve_url.empty() && c.serve_url.back() == '/') c.serve_url.pop_back();
         return std::string();
       }},
      {{"server_dir", "secretgate.serverDir", "/var/lib/secretgate/server",
        "Where `secretgate serve` and `secretgate tokens` keep the hashed API tokens."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         c.server_dir = v[0];
         return std::string();
       }},
      {{"exclude_paths", "secretgate.excludePath", "[]",
        "Path globs whose findings are suppressed (and logged)."},
       true,
       [](Config& c, const std::vector<std::string>& v) {
         c.exclude_paths = v;
         return std::string();
       }},
      {{"exclusions_file", "secretgate.exclusionsFile", ".secretgate-exclusions",
        "File on the default branch listing path globs to exclude."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         c.exclusions_file = v[0];
         return std::string();
       }},
      {{"default_branch", "secretgate.defaultBranch", "HEAD",
        "The branch whose exclusions file counts."},
       false,
       [](Config& c, const std::vector<std::string>& v) {
         c.default_branch = v[0];
         return std::string();
       }},
  };
  return keys;
}

std::string NodeToString(const toml::node& n) {
  if (n.is_string()) return n.as_string()->get();
  if (n.is_boolean()) return n.as_boolean()->get() ? "true" : "false";
  if (n.is_integer()) return std::to_string(n.as_integer()->get());
  if (n.is_floating_point()) return std::to_string(n.as_floating_point()->get());
  return {};
}

}  // namespace

std::string_view ModeName(Mode m) {
  switch (m) {
    case Mode::kBlock:
      return "block";
    case Mode::kWarn:
      return "warn";
    case Mode::kAudit:
      return "audit";
  }
  return "block";
}

std::optional<Mode> ParseMode(std::string_view s) {
  if (s == "block") return Mode::kBlock;
  if (s == "warn") return Mode::kWarn;
  if (s == "audit") return Mode::kAudit;
  return std::nullopt;
}

const std::vector<KeyDoc>& Keys() {
  static const std::vector<KeyDoc> docs = [] {
    std::vector<KeyDoc> d;
    for (const auto& k : Table()) d.push_back(k.doc);
    d.push_back(
        {"rule_modes", "secretgate.ruleMode", "{}",
         "Per-rule mode: a table `rule-id = \"warn\"` (git: `secretgate.ruleMode id=warn`)."});
    return d;
  }();
  return docs;
}

std::string ConfigPath() {
  const char* env = std::getenv("SECRETGATE_CONFIG");
  return env && *env ? env : "/etc/secretgate/config.toml";
}

std::string DefaultRulesDir() { return std::string(build::kDataDir) + "/rules"; }

std::string DefaultCacheDir(const std::string& fallback) {
  if (::access("/var/cache/secretgate", W_OK) == 0) return "/var/cache/secretgate";
  if (::access("/var/cache", W_OK) == 0 && MakeDirs("/var/cache/secretgate", 0755).ok()) {
    return "/var/cache/secretgate";
  }
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg && ::access(xdg, W_OK) == 0) return std::string(xdg) + "/secretgate";
  const char* home = std::getenv("HOME");
  if (home && *home) {
    std::string dir = std::string(home) + "/.cache";
    if (::access(dir.c_str(), W_OK) == 0 || MakeDirs(dir, 0755).ok()) return dir + "/secretgate";
  }
  return fallback;
}

Result<Config> LoadFile(const std::string& path, bool must_exist) {
  Config cfg;
  cfg.source = "(defaults)";
  auto content = ReadFile(path);
  if (!content.ok()) {
    if (content.status().code() == Code::kNotFound && !must_exist) return cfg;
    return content.status();
  }
  cfg.source = path;
  toml::table doc;
  try {
    doc = toml::parse(*content, path);
  } catch (const toml::parse_error& e) {
    return Status::Invalid(path + ":" + std::to_string(e.source().begin.line) +
                           ": invalid TOML: " + std::string(e.description()));
  }
  std::map<std::string, const Key*> by_name;
  for (const auto& k : Table()) by_name[k.doc.toml] = &k;
  for (auto&& [name, node] : doc) {
    std::string where = path + ":" + std::to_string(node.source().begin.line);
    std::string key(name.str());
    if (key == "rule_modes") {
      const toml::table* t = node.as_table();
      if (!t) return Status::Invalid(where + ": rule_modes must be a table of rule-id = \"mode\"");
      for (auto&& [id, v] : *t) {
        auto m = ParseMode(NodeToString(v));
        if (!m) {
          return Status::Invalid(path + ":" + std::to_string(v.source().begin.line) +
                                 ": rule_modes." + std::string(id.str()) +
                                 ": expected block, warn or audit");
        }
        cfg.rule_modes[std::string(id.str())] = *m;
      }
      continue;
    }
    if (key == "webhooks" || key == "commands" || key == "partners" || key == "notify") {
      cfg.has_partners = cfg.has_partners || key == "partners";
      continue;  // notifications: read by notify::LoadConfig
    }
    auto it = by_name.find(key);
    if (it == by_name.end()) return Status::Invalid(where + ": unknown key '" + key + "'");
    std::vector<std::string> values;
    if (it->second->list) {
      const toml::array* a = node.as_array();
      if (!a) return Status::Invalid(where + ": " + key + " must be an array of strings");
      for (const auto& e : *a) {
        if (!e.is_string())
          return Status::Invalid(where + ": " + key + " must contain only strings");
        values.push_back(*e.value<std::string>());
      }
    } else {
      if (node.is_array() || node.is_table()) {
        return Status::Invalid(where + ": " + key + " must be a single value");
      }
      values.push_back(NodeToString(node));
    }
    if (std::string err = it->second->set(cfg, values); !err.empty()) {
      return Status::Invalid(where + ": " + key + ": " + err);
    }
  }
  return cfg;
}

Status ApplyGitConfig(Config& cfg,
                      const std::function<std::vector<std::string>(const std::string&)>& get) {
  for (const auto& k : Table()) {
    std::vector<std::string> values = get(k.doc.git);
    if (values.empty()) continue;
    if (!k.list) values = {values.back()};  // git's last-one-wins
    if (std::string err = k.set(cfg, values); !err.empty()) {
      return Status::Invalid(std::string("git config ") + k.doc.git + ": " + err);
    }
  }
  for (const auto& v : get("secretgate.ruleMode")) {
    size_t eq = v.find('=');
    auto m = eq == std::string::npos ? std::nullopt : ParseMode(v.substr(eq + 1));
    if (!m)
      return Status::Invalid("git config secretgate.ruleMode: expected RULE-ID=MODE, got '" + v +
                             "'");
    cfg.rule_modes[v.substr(0, eq)] = *m;
  }
  return Status::Ok();
}

}  // namespace sg::config
