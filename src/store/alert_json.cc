#include "store/alert_json.h"

#include "store/event.h"

namespace sg::store {
namespace {

using nlohmann::ordered_json;

ordered_json Nullable(const std::string& s) { return s.empty() ? ordered_json() : ordered_json(s); }

}  // namespace

ordered_json LocationToJson(const Location& l) {
  ordered_json j;
  j["commit_sha"] = Nullable(l.commit_sha);
  j["path"] = l.path;
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

std::string ToJson(const Alert& alert) { return DumpJson(AlertToJson(alert)); }

}  // namespace sg::store
