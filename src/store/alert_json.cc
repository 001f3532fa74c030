#include "store/alert_json.h"

#include "store/event.h"

namespace sg::store {
namespace {

using nlohmann::ordered_json;

ordered_json Nullable(const std::string& s) { return s.empty() ? ordered_json() : ordered_json(s); }

// The path a location shows: null for messages (and the old placeholder paths).
std::string ShownPath(const Location& l) {
  return LocationType(l) == "commit" ? l.path : std::string();
}

}  // namespace

std::string_view LocationType(const Location& l) {
  if (l.path == "(commit message)") return "commit_message";
  if (l.path == "(tag message)") return "tag_message";
  if (!l.path.empty()) return "commit";
  if (!l.commit_sha.empty() && l.commit_sha == l.blob_sha) return "commit_message";
  if (l.commit_sha.empty() && l.ref.rfind("refs/tags/", 0) == 0) return "tag_message";
  return "commit";
}

ordered_json LocationToJson(const Location& l) {
  ordered_json j;
  j["type"] = LocationType(l);
  j["commit_sha"] = Nullable(l.commit_sha);
  j["path"] = Nullable(ShownPath(l));
  j["start_line"] = l.start_line;
  j["end_line"] = l.end_line;
  j["start_column"] = l.start_column;
  j["end_column"] = l.end_column;
  j["blob_sha"] = Nullable(l.blob_sha);
  j["ref"] = Nullable(l.ref);
  j["pushed_by"] = Nullable(l.pushed_by);
  j["pushed_at"] = Nullable(l.pushed_at);
  return j;
}

ordered_json AlertToJson(const Alert& a) {
  ordered_json j;
  j["number"] = a.number;
  j["repository"] = Nullable(a.repository);
  j["created_at"] = a.created_at;
  j["updated_at"] = Nullable(a.updated_at);
  j["state"] = a.state;
  j["resolution"] = Nullable(a.resolution);
  j["resolution_comment"] = Nullable(a.resolution_comment);
  j["resolved_by"] = Nullable(a.resolved_by);
  j["resolved_at"] = Nullable(a.resolved_at);
  j["secret_type"] = a.secret_type;
  j["secret_type_display_name"] = Nullable(a.secret_type_display_name);
  j["provider"] = Nullable(a.provider);
  j["secret_redacted"] = Nullable(a.secret_redacted);
  j["secret"] = a.secret ? ordered_json(*a.secret) : ordered_json();  // null unless stored
  j["fingerprint"] = a.fingerprint;
  j["validity"] = a.validity;
  j["multi_repo"] = a.multi_repo;
  j["locations"] = ordered_json::array();
  for (const Location& l : a.locations) j["locations"].push_back(LocationToJson(l));
  j["push_protection_bypassed"] = a.push_protection_bypassed;
  j["push_protection_bypassed_by"] = Nullable(a.push_protection_bypassed_by);
  j["push_protection_bypassed_at"] = Nullable(a.push_protection_bypassed_at);
  j["timeline"] = ordered_json::array();
  for (const TimelineEvent& t : a.timeline) {
    j["timeline"].push_back(ordered_json{{"event", t.event},
                                         {"actor", Nullable(t.actor)},
                                         {"at", t.at},
                                         {"comment", Nullable(t.comment)},
                                         {"detail", Nullable(t.detail)}});
  }
  return j;
}

namespace {

// Appends `s` as a JSON string, byte-for-byte as DumpJson would write it: plain printable ASCII
// is copied, anything else goes through nlohmann's serializer.
void AppendString(std::string& out, const std::string& s) {
  bool plain = true;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += DumpJson(ordered_json(s));
  }
}

void AppendNullable(std::string& out, const std::string& s) {
  if (s.empty()) {
    out += "null";
  } else {
    AppendString(out, s);
  }
}

void Key(std::string& out, const char* key, bool first = false) {
  if (!first) out += ',';
  out += '"';
  out += key;
  out += "\":";
}

}  // namespace

void AppendAlertJson(std::string& out, const Alert& a) {
  out += '{';
  Key(out, "number", true);
  out += std::to_string(a.number);
  Key(out, "repository"), AppendNullable(out, a.repository);
  Key(out, "created_at"), AppendString(out, a.created_at);
  Key(out, "updated_at"), AppendNullable(out, a.updated_at);
  Key(out, "state"), AppendString(out, a.state);
  Key(out, "resolution"), AppendNullable(out, a.resolution);
  Key(out, "resolution_comment"), AppendNullable(out, a.resolution_comment);
  Key(out, "resolved_by"), AppendNullable(out, a.resolved_by);
  Key(out, "resolved_at"), AppendNullable(out, a.resolved_at);
  Key(out, "secret_type"), AppendString(out, a.secret_type);
  Key(out, "secret_type_display_name"), AppendNullable(out, a.secret_type_display_name);
  Key(out, "provider"), AppendNullable(out, a.provider);
  Key(out, "secret_redacted"), AppendNullable(out, a.secret_redacted);
  Key(out, "secret");
  if (a.secret) {
    AppendString(out, *a.secret);
  } else {
    out += "null";
  }
  Key(out, "fingerprint"), AppendString(out, a.fingerprint);
  Key(out, "validity"), AppendString(out, a.validity);
  Key(out, "multi_repo"), out += a.multi_repo ? "true" : "false";
  Key(out, "locations");
  out += '[';
  for (size_t i = 0; i < a.locations.size(); ++i) {
    const Location& l = a.locations[i];
    if (i) out += ',';
    out += '{';
    Key(out, "type", true), AppendString(out, std::string(LocationType(l)));
    Key(out, "commit_sha"), AppendNullable(out, l.commit_sha);
    Key(out, "path"), AppendNullable(out, ShownPath(l));
    Key(out, "start_line"), out += std::to_string(l.start_line);
    Key(out, "end_line"), out += std::to_string(l.end_line);
    Key(out, "start_column"), out += std::to_string(l.start_column);
    Key(out, "end_column"), out += std::to_string(l.end_column);
    Key(out, "blob_sha"), AppendNullable(out, l.blob_sha);
    Key(out, "ref"), AppendNullable(out, l.ref);
    Key(out, "pushed_by"), AppendNullable(out, l.pushed_by);
    Key(out, "pushed_at"), AppendNullable(out, l.pushed_at);
    out += '}';
  }
  out += ']';
  Key(out, "push_protection_bypassed"), out += a.push_protection_bypassed ? "true" : "false";
  Key(out, "push_protection_bypassed_by"), AppendNullable(out, a.push_protection_bypassed_by);
  Key(out, "push_protection_bypassed_at"), AppendNullable(out, a.push_protection_bypassed_at);
  Key(out, "timeline");
  out += '[';
  for (size_t i = 0; i < a.timeline.size(); ++i) {
    const TimelineEvent& t = a.timeline[i];
    if (i) out += ',';
    out += '{';
    Key(out, "event", true), AppendString(out, t.event);
    Key(out, "actor"), AppendNullable(out, t.actor);
    Key(out, "at"), AppendString(out, t.at);
    Key(out, "comment"), AppendNullable(out, t.comment);
    Key(out, "detail"), AppendNullable(out, t.detail);
    out += '}';
  }
  out += "]}";
}

std::string ToJson(const Alert& alert) {
  std::string out;
  AppendAlertJson(out, alert);
  return out;
}

}  // namespace sg::store
