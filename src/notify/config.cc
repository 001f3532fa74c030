#include "notify/config.h"

#include <toml++/toml.h>

#include <cctype>
#include <set>

#include "notify/http.h"
#include "notify/state.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::notify {
namespace {

// Collects the first error with its file:line; every reader below returns false on error.
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  bool Fail(const toml::node& at, const std::string& what) {
    if (error_.empty()) {
      error_ = path_ + ":" + std::to_string(at.source().begin.line) + ": " + what;
    }
    return false;
  }
  const std::string& error() const { return error_; }

  bool String(const toml::table& t, std::string_view key, std::string& out,
              const std::string& ctx) {
    const toml::node* n = t.get(key);
    if (!n) return true;
    if (!n->is_string()) return Fail(*n, ctx + "." + std::string(key) + " must be a string");
    out = n->as_string()->get();
    return true;
  }

  bool Bool(const toml::table& t, std::string_view key, bool& out, const std::string& ctx) {
    const toml::node* n = t.get(key);
    if (!n) return true;
    if (!n->is_boolean()) return Fail(*n, ctx + "." + std::string(key) + " must be true or false");
    out = n->as_boolean()->get();
    return true;
  }

  bool Seconds(const toml::table& t, std::string_view key, double& out, const std::string& ctx,
               double max = 600) {
    const toml::node* n = t.get(key);
    if (!n) return true;
    double v = -1;
    if (n->is_integer()) v = static_cast<double>(n->as_integer()->get());
    if (n->is_floating_point()) v = n->as_floating_point()->get();
    if (v < 0 || v > max || (v == 0 && key != "retry_initial")) {
      return Fail(*n, ctx + "." + std::string(key) + " must be a number of seconds (0 < s <= " +
                          std::to_string(static_cast<int>(max)) + ")");
    }
    out = v;
    return true;
  }

  bool Strings(const toml::table& t, std::string_view key, std::vector<std::string>& out,
               const std::string& ctx) {
    const toml::node* n = t.get(key);
    if (!n) return true;
    const toml::array* a = n->as_array();
    if (!a) return Fail(*n, ctx + "." + std::string(key) + " must be an array of strings");
    out.clear();
    for (const auto& e : *a) {
      if (!e.is_string()) return Fail(e, ctx + "." + std::string(key) + " must hold only strings");
      out.push_back(e.as_string()->get());
    }
    return true;
  }

  bool Statuses(const toml::table& t, std::string_view key, std::vector<long>& out,
                const std::string& ctx) {
    const toml::node* n = t.get(key);
    if (!n) return true;
    const toml::array* a = n->as_array();
    if (!a) return Fail(*n, ctx + "." + std::string(key) + " must be an array of HTTP statuses");
    out.clear();
    for (const auto& e : *a) {
      if (!e.is_integer() || e.as_integer()->get() < 100 || e.as_integer()->get() > 599) {
        return Fail(e, ctx + "." + std::string(key) + " must hold HTTP statuses (100-599)");
      }
      out.push_back(static_cast<long>(e.as_integer()->get()));
    }
    return true;
  }

  bool StringMap(const toml::table& t, std::string_view key,
                 std::map<std::string, std::string>& out, const std::string& ctx) {
    const toml::node* n = t.get(key);
    if (!n) return true;
    const toml::table* m = n->as_table();
    if (!m) return Fail(*n, ctx + "." + std::string(key) + " must be a table of strings");
    for (auto&& [k, v] : *m) {
      if (!v.is_string()) {
        return Fail(
            v, ctx + "." + std::string(key) + "." + std::string(k.str()) + " must be a string");
      }
      out[std::string(k.str())] = v.as_string()->get();
    }
    return true;
  }

  // Rejects keys outside `known`, so that a typo ("secert") is an error, not a silent default.
  bool Known(const toml::table& t, std::initializer_list<std::string_view> known,
             const std::string& ctx) {
    for (auto&& [k, v] : t) {
      bool ok = false;
      for (auto name : known) ok = ok || k.str() == name;
      if (!ok) return Fail(v, ctx + ": unknown key '" + std::string(k.str()) + "'");
    }
    return true;
  }

 private:
  std::string path_;
  std::string error_;
};

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool ReadCommon(Reader& r, const toml::table& t, SinkCommon& s, const std::string& ctx,
                const std::string& default_name) {
  if (!r.String(t, "name", s.name, ctx) || !r.Strings(t, "events", s.events, ctx) ||
      !r.Seconds(t, "timeout", s.timeout, ctx) || !r.Bool(t, "backfill", s.backfill, ctx)) {
    return false;
  }
  if (s.name.empty()) s.name = default_name;
  if (!ValidName(s.name)) {
    return r.Fail(t, ctx + ".name must be 1-64 of [A-Za-z0-9._-], not starting with '.'");
  }
  if (s.name.rfind("partner-", 0) == 0) {
    return r.Fail(t, ctx + ".name: names starting with 'partner-' are kept for partner endpoints");
  }
  for (const auto& e : s.events) {
    if (!IsEventName(e)) {
      std::string all;
      for (auto n : EventNames()) all += (all.empty() ? "" : ", ") + std::string(n);
      return r.Fail(*t.get("events"),
                    ctx + ".events: unknown event '" + EscapeControl(e) + "' (known: " + all + ")");
    }
  }
  return true;
}

bool ReadVerifier(Reader& r, const toml::node& node, VerifierConfig& v, const std::string& ctx) {
  const toml::table* t = node.as_table();
  if (!t) return r.Fail(node, ctx + " must be a table: { command = [...] } or { url = \"...\" }");
  if (!r.Known(*t,
               {"command", "url", "method", "headers", "body", "active_status", "inactive_status",
                "timeout"},
               ctx) ||
      !r.Strings(*t, "command", v.command, ctx) || !r.String(*t, "url", v.url, ctx) ||
      !r.String(*t, "method", v.method, ctx) || !r.StringMap(*t, "headers", v.headers, ctx) ||
      !r.String(*t, "body", v.body, ctx) ||
      !r.Statuses(*t, "active_status", v.active_status, ctx) ||
      !r.Statuses(*t, "inactive_status", v.inactive_status, ctx) ||
      !r.Seconds(*t, "timeout", v.timeout, ctx)) {
    return false;
  }
  if (v.command.empty() == v.url.empty()) {
    return r.Fail(node, ctx + " needs exactly one of `command` and `url`");
  }
  if (!v.command.empty() && (v.command[0].empty() || v.command[0][0] != '/')) {
    return r.Fail(node, ctx + ".command[0] must be an absolute path (no shell, no PATH search)");
  }
  if (!v.url.empty()) {
    if (v.url.find("{{secret}}") != std::string::npos) {
      return r.Fail(node, ctx +
                              ".url must not hold {{secret}} (URLs end up in logs): use a "
                              "header or the body");
    }
    if (Status s = CheckSecretUrl(v.url, ctx + ".url"); !s.ok()) return r.Fail(node, s.message());
    for (char& c : v.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (v.method != "GET" && v.method != "POST" && v.method != "HEAD" && v.method != "PUT") {
      return r.Fail(node, ctx + ".method must be GET, POST, PUT or HEAD");
    }
  }
  return true;
}

}  // namespace

const std::vector<std::string_view>& EventNames() {
  static const std::vector<std::string_view> names = {
      "created",  "location_created",         "resolved",
      "reopened", "push_protection_bypassed", "validated"};
  return names;
}

bool IsEventName(std::string_view name) {
  for (auto n : EventNames()) {
    if (n == name) return true;
  }
  return false;
}

bool SinkCommon::Wants(std::string_view event) const {
  if (events.empty()) return true;
  for (const auto& e : events) {
    if (e == event) return true;
  }
  return false;
}

const PartnerConfig* NotifyConfig::PartnerEndpoint(std::string_view provider) const {
  auto it = partners.find(ToLowerAscii(provider));
  return it != partners.end() && !it->second.url.empty() ? &it->second : nullptr;
}

const PartnerConfig* NotifyConfig::Verifier(std::string_view provider) const {
  auto it = partners.find(ToLowerAscii(provider));
  return it != partners.end() && it->second.verifier ? &it->second : nullptr;
}

bool NotifyConfig::HasPartnerEndpoints() const {
  for (const auto& [name, p] : partners) {
    if (!p.url.empty()) return true;
  }
  return false;
}

Result<NotifyConfig> LoadConfig(const std::string& path, bool must_exist) {
  auto content = ReadFile(path);
  if (!content.ok()) {
    if (content.status().code() == Code::kNotFound && !must_exist) {
      NotifyConfig cfg;
      cfg.source = "(defaults)";
      return cfg;
    }
    return content.status();
  }
  return ParseConfig(*content, path);
}

Result<NotifyConfig> ParseConfig(std::string_view text, const std::string& path) {
  NotifyConfig cfg;
  cfg.source = path;
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Status::Invalid(path + ":" + std::to_string(e.source().begin.line) +
                           ": invalid TOML: " + std::string(e.description()));
  }
  Reader r(path);
  std::set<std::string> names;
  auto unique = [&](const toml::node& at, const std::string& name, const std::string& ctx) {
    if (!names.insert(name).second) {
      return r.Fail(at, ctx + ": another webhook or command is already named '" + name + "'");
    }
    return true;
  };

  if (const toml::node* n = doc.get("notify")) {
    const toml::table* t = n->as_table();
    if (!t) return Status::Invalid(path + ": notify must be a table ([notify])");
    if (!r.Known(*t, {"after_push", "retry_initial", "retry_max", "partner_key"}, "notify") ||
        !r.Bool(*t, "after_push", cfg.after_push, "notify") ||
        !r.Seconds(*t, "retry_initial", cfg.retry_initial, "notify", 86400) ||
        !r.Seconds(*t, "retry_max", cfg.retry_max, "notify", 7 * 86400) ||
        !r.String(*t, "partner_key", cfg.partner_key, "notify")) {
      return Status::Invalid(r.error());
    }
  }

  if (const toml::node* n = doc.get("webhooks")) {
    const toml::array* a = n->as_array();
    if (!a || !a->is_array_of_tables()) {
      return Status::Invalid(path + ":" + std::to_string(n->source().begin.line) +
                             ": webhooks must be [[webhooks]] tables");
    }
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::table& t = *a->get(i)->as_table();
      const std::string ctx = "webhooks[" + std::to_string(i) + "]";
      WebhookConfig w;
      if (!r.Known(t, {"name", "url", "secret", "events", "timeout", "connect_timeout", "backfill"},
                   ctx) ||
          !r.String(t, "url", w.url, ctx) || !r.String(t, "secret", w.secret, ctx) ||
          !r.Seconds(t, "connect_timeout", w.connect_timeout, ctx)) {
        return Status::Invalid(r.error());
      }
      if (w.url.empty()) {
        r.Fail(t, ctx + ".url is required");
        return Status::Invalid(r.error());
      }
      if (auto u = ParseUrl(w.url); !u.ok()) {
        r.Fail(t, ctx + ".url: " + u.status().message());
        return Status::Invalid(r.error());
      }
      if (w.secret.empty()) {
        r.Fail(t, ctx + ".secret is required (the key of X-Secretgate-Signature)");
        return Status::Invalid(r.error());
      }
      if (!ReadCommon(r, t, w, ctx, "webhook-" + ShortChecksum(w.url)) || !unique(t, w.name, ctx)) {
        return Status::Invalid(r.error());
      }
      cfg.webhooks.push_back(std::move(w));
    }
  }

  if (const toml::node* n = doc.get("commands")) {
    const toml::array* a = n->as_array();
    if (!a || !a->is_array_of_tables()) {
      return Status::Invalid(path + ":" + std::to_string(n->source().begin.line) +
                             ": commands must be [[commands]] tables");
    }
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::table& t = *a->get(i)->as_table();
      const std::string ctx = "commands[" + std::to_string(i) + "]";
      CommandConfig c;
      c.timeout = 30;
      if (!r.Known(t, {"name", "argv", "events", "timeout", "env", "backfill"}, ctx) ||
          !r.Strings(t, "argv", c.argv, ctx) || !r.StringMap(t, "env", c.env, ctx)) {
        return Status::Invalid(r.error());
      }
      if (c.argv.empty() || c.argv[0].empty() || c.argv[0][0] != '/') {
        r.Fail(t, ctx + ".argv must start with an absolute program path (run without a shell)");
        return Status::Invalid(r.error());
      }
      std::string joined;
      for (const auto& s : c.argv) joined += s + '\0';
      if (!ReadCommon(r, t, c, ctx, "command-" + ShortChecksum(joined)) ||
          !unique(t, c.name, ctx)) {
        return Status::Invalid(r.error());
      }
      cfg.commands.push_back(std::move(c));
    }
  }

  if (const toml::node* n = doc.get("partners")) {
    const toml::table* t = n->as_table();
    if (!t) return Status::Invalid(path + ": partners must be a table ([partners.PROVIDER])");
    for (auto&& [key, node] : *t) {
      const std::string provider = ToLowerAscii(key.str());
      const std::string ctx = "partners." + std::string(key.str());
      const toml::table* p = node.as_table();
      if (!p) {
        r.Fail(node, ctx + " must be a table");
        return Status::Invalid(r.error());
      }
      PartnerConfig pc;
      pc.provider = provider;
      if (!r.Known(*p, {"url", "timeout", "verifier"}, ctx) || !r.String(*p, "url", pc.url, ctx) ||
          !r.Seconds(*p, "timeout", pc.timeout, ctx)) {
        return Status::Invalid(r.error());
      }
      if (!pc.url.empty()) {
        if (Status s = CheckSecretUrl(pc.url, ctx + ".url"); !s.ok()) {
          r.Fail(*p, s.message());
          return Status::Invalid(r.error());
        }
      }
      if (const toml::node* v = p->get("verifier")) {
        VerifierConfig vc;
        if (!ReadVerifier(r, *v, vc, ctx + ".verifier")) return Status::Invalid(r.error());
        pc.verifier = std::move(vc);
      }
      if (pc.url.empty() && !pc.verifier) {
        r.Fail(*p, ctx + " needs a `url` (partner notification) or a `verifier`");
        return Status::Invalid(r.error());
      }
      if (cfg.partners.count(provider)) {
        r.Fail(*p, ctx + ": provider '" + provider + "' is configured twice");
        return Status::Invalid(r.error());
      }
      cfg.partners[provider] = std::move(pc);
    }
  }
  return cfg;
}

}  // namespace sg::notify
