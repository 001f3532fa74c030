// The journal's vocabulary: file names, the format name and version, event types and the values
// the alert model allows, and the Event struct with its JSON encoding. Every journal line is one
// Event (see FORMAT.md), which is what lets a notifier read the journal as an outbox.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"
#include "util/status.h"

namespace sg::store {

inline constexpr std::string_view kFormatName = "secretgate-alerts";
// Version 2 added the `repaired` record and the `lost` and `restored` flags (store repair).
// Readers take versions 1 and 2; writers create version 2 journals.
inline constexpr int kFormatVersion = 2;
inline constexpr int kOldestFormatVersion = 1;

inline constexpr std::string_view kJournalFile = "journal.jsonl";
inline constexpr std::string_view kLockFile = "lock";
inline constexpr std::string_view kKeyFile = "key";
inline constexpr std::string_view kIndexFile = "index.bin";
inline constexpr std::string_view kSnapshotFile = "snapshot.bin";
inline constexpr std::string_view kStampFile = "stamp";
inline constexpr std::string_view kReposDir = "repos";
inline constexpr std::string_view kDamagedDir = "damaged";  // store repair's copies of bad bytes
inline constexpr size_t kKeyBytes = 32;

enum class EventType {
  kHeader,
  kCreated,
  kLocationCreated,
  kResolved,
  kReopened,
  kBypassed,  // "push_protection_bypassed"
  kValidated,
  kRepaired,  // written by `store repair`: the only record whose seq may jump forward
};

std::string_view EventTypeName(EventType type);
std::optional<EventType> ParseEventType(std::string_view name);

bool IsResolution(std::string_view s);    // false_positive wont_fix revoked used_in_tests
bool IsBypassReason(std::string_view s);  // false_positive used_in_tests will_fix_later
bool IsValidity(std::string_view s);      // active inactive unknown
bool IsState(std::string_view s);         // open resolved

// One journal record without its framing (seq, batch, end, prev, sum belong to the journal).
// Which fields are meaningful depends on `type`; the rest stay empty. Empty strings are null.
struct Event {
  EventType type = EventType::kCreated;
  int64_t seq = 0;  // set by the journal
  std::string at, actor;
  int64_t alert = 0;
  // header
  std::string format, store_id;
  int version = 0;
  // header, created
  std::string repository;
  // created
  std::string fingerprint, secret_type, display_name, provider, secret_redacted;
  // created, location_created: Alert::cross_fingerprint (empty when no cross_repo_key)
  std::string cross_fingerprint;
  std::optional<std::string> secret;
  // location_created
  Location location;
  // resolved: resolution + comment; reopened: comment; push_protection_bypassed: reason + comment
  std::string resolution, reason, comment;
  // validated
  std::string validity;
  // created: a placeholder for an alert whose own records were lost to damage (store repair)
  bool lost = false;
  // any alert event: re-written by store repair from a salvaged or derived copy
  bool restored = false;
  // repaired: the first damaged line, the copy of the damaged bytes (under damaged/), and how
  // many alerts lost their records
  int64_t damaged_line = 0;
  std::string copy;
  int64_t lost_alerts = 0;
};

// The event's fields as an ordered JSON object (type first), without journal framing.
nlohmann::ordered_json EncodeEvent(const Event& event);
// Reads an event from a parsed journal line. Invalid names the missing or mistyped field.
Result<Event> DecodeEvent(const nlohmann::json& line);

// Dumps JSON the way the store writes it: compact, UTF-8 kept, invalid UTF-8 replaced by U+FFFD
// (nlohmann would otherwise throw).
std::string DumpJson(const nlohmann::ordered_json& j);
std::string DumpJson(const nlohmann::json& j);

}  // namespace sg::store
