#include "store/state.h"

namespace sg::store {
namespace {

std::string Num(int64_t n) { return std::to_string(n); }

}  // namespace

bool SameLocation(const Location& a, const Location& b) {
  return a.commit_sha == b.commit_sha && a.path == b.path && a.start_line == b.start_line &&
         a.start_column == b.start_column && a.blob_sha == b.blob_sha;
}

Status State::ApplyBatch(std::span<const Event> events, const JournalPos& end) {
  for (const Event& e : events) {
    Status s = Apply(e);
    if (!s.ok()) return s.WithContext("record seq " + Num(e.seq));
  }
  pos_ = end;
  return Status::Ok();
}

const Alert* State::Get(int64_t number) const {
  if (number < 1 || number > static_cast<int64_t>(alerts_.size())) return nullptr;
  return &alerts_[static_cast<size_t>(number - 1)];
}

const std::unordered_map<std::string, int64_t>& State::ByFingerprint() const {
  if (!by_fingerprint_built_) {
    by_fingerprint_.reserve(alerts_.size());
    for (const Alert& a : alerts_) by_fingerprint_.emplace(a.fingerprint, a.number);
    by_fingerprint_built_ = true;
  }
  return by_fingerprint_;
}

std::optional<int64_t> State::FindByFingerprint(const std::string& fingerprint_hex) const {
  const auto& map = ByFingerprint();
  auto it = map.find(fingerprint_hex);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

Status State::AddDecoded(Alert alert) {
  if (alert.number != static_cast<int64_t>(alerts_.size()) + 1) {
    return Status::Corruption("alert " + Num(alert.number) + " out of order");
  }
  // Fingerprints are unique by construction of the journal; the snapshot's checksum vouches for
  // its copy, so the map (and its duplicate check) is left for first use.
  alerts_.push_back(std::move(alert));
  by_fingerprint_built_ = false;
  return Status::Ok();
}

Status State::Apply(const Event& e) {
  if (e.type == EventType::kHeader || e.type == EventType::kRepaired) return Status::Ok();
  if (e.type == EventType::kCreated) {
    if (e.alert != static_cast<int64_t>(alerts_.size()) + 1) {
      return Status::Corruption("created alert " + Num(e.alert) + " but the next number is " +
                                Num(static_cast<int64_t>(alerts_.size()) + 1));
    }
    if (auto dup = FindByFingerprint(e.fingerprint)) {
      return Status::Corruption("created alert " + Num(e.alert) + " for the fingerprint of alert " +
                                Num(*dup));
    }
    Alert a;
    a.number = e.alert;
    a.repository = e.repository;
    a.created_at = a.updated_at = e.at;
    a.state = "open";
    a.secret_type = e.secret_type;
    a.secret_type_display_name = e.display_name;
    a.provider = e.provider;
    a.secret_redacted = e.secret_redacted;
    a.secret = e.secret;
    a.fingerprint = e.fingerprint;
    a.cross_fingerprint = e.cross_fingerprint;
    a.timeline.push_back({"created", e.actor, e.at, "", ""});
    by_fingerprint_.emplace(a.fingerprint, a.number);  // built by FindByFingerprint above
    alerts_.push_back(std::move(a));
    return Status::Ok();
  }
  if (e.alert < 1 || e.alert > static_cast<int64_t>(alerts_.size())) {
    return Status::Corruption(std::string(EventTypeName(e.type)) + " names unknown alert " +
                              Num(e.alert));
  }
  Alert& a = alerts_[static_cast<size_t>(e.alert - 1)];
  TimelineEvent t{std::string(EventTypeName(e.type)), e.actor, e.at, e.comment, ""};
  switch (e.type) {
    case EventType::kLocationCreated:
      for (const Location& l : a.locations) {
        if (SameLocation(l, e.location)) {
          return Status::Corruption("duplicate location for alert " + Num(a.number));
        }
      }
      a.locations.push_back(e.location);
      // An alert older than the cross_repo_key gets its cross fingerprint when seen again.
      if (a.cross_fingerprint.empty()) a.cross_fingerprint = e.cross_fingerprint;
      t.detail = e.location.path + ":" + Num(e.location.start_line);
      break;
    case EventType::kResolved:
      if (a.state == "resolved") {
        return Status::Corruption("resolves alert " + Num(a.number) + ", which is resolved");
      }
      a.state = "resolved";
      a.resolution = e.resolution;
      a.resolution_comment = e.comment;
      a.resolved_by = e.actor;
      a.resolved_at = e.at;
      t.detail = e.resolution;
      break;
    case EventType::kReopened:
      if (a.state != "resolved") {
        return Status::Corruption("reopens alert " + Num(a.number) + ", which is open");
      }
      a.state = "open";
      a.resolution.clear();
      a.resolution_comment.clear();
      a.resolved_by.clear();
      a.resolved_at.clear();
      break;
    case EventType::kBypassed:
      a.push_protection_bypassed = true;
      a.push_protection_bypassed_by = e.actor;
      a.push_protection_bypassed_at = e.at;
      t.detail = e.reason;
      break;
    case EventType::kValidated:
      a.validity = e.validity;
      t.detail = e.validity;
      break;
    case EventType::kHeader:
    case EventType::kCreated:
    case EventType::kRepaired:
      break;
  }
  a.updated_at = e.at;
  a.timeline.push_back(std::move(t));
  return Status::Ok();
}

}  // namespace sg::store
