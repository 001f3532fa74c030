#include "store/event.h"

#include <array>
#include <utility>

namespace sg::store {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::array<std::pair<EventType, std::string_view>, 8> kTypeNames = {{
    {EventType::kHeader, "header"},
    {EventType::kCreated, "created"},
    {EventType::kLocationCreated, "location_created"},
    {EventType::kResolved, "resolved"},
    {EventType::kReopened, "reopened"},
    {EventType::kBypassed, "push_protection_bypassed"},
    {EventType::kValidated, "validated"},
    {EventType::kRepaired, "repaired"},
}};

template <size_t N>
bool OneOf(std::string_view s, const std::array<std::string_view, N>& values) {
  for (std::string_view v : values) {
    if (s == v) return true;
  }
  return false;
}

// Empty string <-> null.
ordered_json Nullable(const std::string& s) { return s.empty() ? ordered_json() : ordered_json(s); }

// Field readers: a missing or null field reads as empty/zero; a field of the wrong type fails.
class Reader {
 public:
  explicit Reader(const json& j) : j_(j) {}
  std::string Str(const char* key) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return {};
    if (!it->is_string()) return Fail(key, "a string"), std::string();
    return it->get<std::string>();
  }
  bool Bool(const char* key) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return false;
    if (!it->is_boolean()) return Fail(key, "a boolean"), false;
    return it->get<bool>();
  }
  int64_t Int(const char* key) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return 0;
    if (!it->is_number_integer()) return Fail(key, "an integer"), 0;
    return it->get<int64_t>();
  }
  std::string Required(const char* key) {
    std::string s = Str(key);
    if (s.empty() && error_.empty()) Fail(key, "a non-empty string");
    return s;
  }
  void Fail(const char* key, const char* what) {
    if (error_.empty()) error_ = std::string("field \"") + key + "\" must be " + what;
  }
  const std::string& error() const { return error_; }

 private:
  const json& j_;
  std::string error_;
};

}  // namespace

std::string_view EventTypeName(EventType type) {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) return name;
  }
  return "unknown";
}

std::optional<EventType> ParseEventType(std::string_view name) {
  for (const auto& [t, n] : kTypeNames) {
    if (n == name) return t;
  }
  return std::nullopt;
}

bool IsResolution(std::string_view s) {
  return OneOf<4>(s, {"false_positive", "wont_fix", "revoked", "used_in_tests"});
}
bool IsBypassReason(std::string_view s) {
  return OneOf<3>(s, {"false_positive", "used_in_tests", "will_fix_later"});
}
bool IsValidity(std::string_view s) { return OneOf<3>(s, {"active", "inactive", "unknown"}); }
bool IsState(std::string_view s) { return OneOf<2>(s, {"open", "resolved"}); }

ordered_json EncodeEvent(const Event& e) {
  ordered_json j;
  j["type"] = EventTypeName(e.type);
  if (e.type == EventType::kHeader) {
    j["format"] = e.format;
    j["version"] = e.version;
    j["store_id"] = e.store_id;
    j["repository"] = Nullable(e.repository);
    j["at"] = e.at;
    return j;
  }
  j["at"] = e.at;
  j["actor"] = Nullable(e.actor);
  if (e.type == EventType::kRepaired) {
    j["damaged_line"] = e.damaged_line;
    j["copy"] = Nullable(e.copy);
    j["lost_alerts"] = e.lost_alerts;
    return j;
  }
  j["alert"] = e.alert;
  if (e.restored) j["restored"] = true;
  if (!e.cross_fingerprint.empty()) j["cross_fingerprint"] = e.cross_fingerprint;
  switch (e.type) {
    case EventType::kCreated:
      j["fingerprint"] = e.fingerprint;
      j["secret_type"] = e.secret_type;
      j["secret_type_display_name"] = Nullable(e.display_name);
      j["provider"] = Nullable(e.provider);
      j["secret_redacted"] = Nullable(e.secret_redacted);
      if (e.secret) j["secret"] = *e.secret;
      j["repository"] = Nullable(e.repository);
      if (e.lost) j["lost"] = true;
      break;
    case EventType::kLocationCreated: {
      const Location& l = e.location;
      j["location"] = ordered_json{
          {"commit_sha", Nullable(l.commit_sha)}, {"path", l.path},
          {"start_line", l.start_line},           {"end_line", l.end_line},
          {"start_column", l.start_column},       {"end_column", l.end_column},
          {"blob_sha", Nullable(l.blob_sha)},     {"ref", Nullable(l.ref)},
          {"pushed_by", Nullable(l.pushed_by)},   {"pushed_at", Nullable(l.pushed_at)}};
      break;
    }
    case EventType::kResolved:
      j["resolution"] = e.resolution;
      j["comment"] = Nullable(e.comment);
      break;
    case EventType::kReopened:
      j["comment"] = Nullable(e.comment);
      break;
    case EventType::kBypassed:
      j["reason"] = e.reason;
      j["comment"] = Nullable(e.comment);
      break;
    case EventType::kValidated:
      j["validity"] = e.validity;
      break;
    case EventType::kHeader:
    case EventType::kRepaired:
      break;
  }
  return j;
}

Result<Event> DecodeEvent(const json& line) {
  if (!line.is_object()) return Status::Invalid("record is not a JSON object");
  Reader r(line);
  const std::string type_name = r.Required("type");
  if (!r.error().empty()) return Status::Invalid(r.error());
  const std::optional<EventType> type = ParseEventType(type_name);
  if (!type) return Status::Invalid("unknown record type \"" + type_name + "\"");
  Event e;
  e.type = *type;
  e.seq = r.Int("seq");
  e.at = r.Required("at");
  if (e.type == EventType::kHeader) {
    e.format = r.Required("format");
    e.version = static_cast<int>(r.Int("version"));
    e.store_id = r.Required("store_id");
    e.repository = r.Str("repository");
    if (!r.error().empty()) return Status::Invalid(r.error());
    if (e.format != kFormatName)
      return Status::Invalid("not a " + std::string(kFormatName) + " journal");
    if (e.version < kOldestFormatVersion || e.version > kFormatVersion) {
      return Status::Invalid("journal format version " + std::to_string(e.version) +
                             " is not supported (this build reads versions " +
                             std::to_string(kOldestFormatVersion) + " to " +
                             std::to_string(kFormatVersion) + ")");
    }
    return e;
  }
  e.actor = r.Str("actor");
  if (e.type == EventType::kRepaired) {
    e.damaged_line = r.Int("damaged_line");
    e.copy = r.Str("copy");
    e.lost_alerts = r.Int("lost_alerts");
    if (!r.error().empty()) return Status::Invalid(r.error());
    return e;
  }
  e.alert = r.Int("alert");
  e.restored = r.Bool("restored");
  e.cross_fingerprint = r.Str("cross_fingerprint");
  if (!e.cross_fingerprint.empty() && e.cross_fingerprint.size() != 64) {
    r.Fail("cross_fingerprint", "64 hex digits");
  }
  if (e.alert <= 0 && r.error().empty()) r.Fail("alert", "a positive integer");
  switch (e.type) {
    case EventType::kCreated: {
      e.fingerprint = r.Required("fingerprint");
      e.secret_type = r.Required("secret_type");
      e.display_name = r.Str("secret_type_display_name");
      e.provider = r.Str("provider");
      e.secret_redacted = r.Str("secret_redacted");
      e.repository = r.Str("repository");
      if (line.contains("secret")) e.secret = r.Str("secret");
      e.lost = r.Bool("lost");
      if (e.fingerprint.size() != 64) r.Fail("fingerprint", "64 hex digits");
      break;
    }
    case EventType::kLocationCreated: {
      auto it = line.find("location");
      if (it == line.end() || !it->is_object()) {
        r.Fail("location", "an object");
        break;
      }
      Reader l(*it);
      Location& loc = e.location;
      loc.commit_sha = l.Str("commit_sha");
      loc.path = l.Str("path");
      loc.blob_sha = l.Str("blob_sha");
      loc.ref = l.Str("ref");
      loc.pushed_by = l.Str("pushed_by");
      loc.pushed_at = l.Str("pushed_at");
      loc.start_line = static_cast<int>(l.Int("start_line"));
      loc.end_line = static_cast<int>(l.Int("end_line"));
      loc.start_column = static_cast<int>(l.Int("start_column"));
      loc.end_column = static_cast<int>(l.Int("end_column"));
      if (!l.error().empty()) return Status::Invalid("location: " + l.error());
      break;
    }
    case EventType::kResolved:
      e.resolution = r.Required("resolution");
      e.comment = r.Str("comment");
      if (r.error().empty() && !IsResolution(e.resolution)) r.Fail("resolution", "a resolution");
      break;
    case EventType::kReopened:
      e.comment = r.Str("comment");
      break;
    case EventType::kBypassed:
      e.reason = r.Required("reason");
      e.comment = r.Str("comment");
      if (r.error().empty() && !IsBypassReason(e.reason)) r.Fail("reason", "a bypass reason");
      break;
    case EventType::kValidated:
      e.validity = r.Required("validity");
      if (r.error().empty() && !IsValidity(e.validity)) r.Fail("validity", "a validity");
      break;
    case EventType::kHeader:
    case EventType::kRepaired:
      break;
  }
  if (!r.error().empty()) return Status::Invalid(r.error());
  return e;
}

std::string DumpJson(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace sg::store
