// The partner outbox: the one place a plain secret is written to disk when store_secrets is off,
// and only for a provider the admin configured a partner endpoint for (README.md, "Partner
// notifications"). The recording step (the hook, scan, drain) writes one file per new alert
// durably before it answers; `secretgate notify` deletes the file once the provider accepted
// the POST (or when the provider's endpoint is no longer configured). Layout and format:
// src/notify/FORMAT.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sg::notify {

inline constexpr std::string_view kPartnerOutboxDir = "partner-outbox";

struct PartnerEntry {
  int64_t alert = 0;
  std::string provider;  // lower-case, as configured
  std::string type;      // the rule id
  std::string token;     // the plain secret
  std::string url;       // "<repository>:<path>@<commit>"
  std::string created_at;
  std::string file;  // set by ListPartnerEntries: the entry's path
};

// "<store>/partner-outbox".
std::string PartnerOutboxDir(const std::string& store_dir);

// Writes one file per entry (0600, in a 0700 directory), fsyncs each and then the directory, so
// the entries are durable when this returns. An existing entry for the same alert is replaced.
Status WritePartnerEntries(const std::string& store_dir, std::span<const PartnerEntry> entries);

// Every entry, by alert number. A file that does not parse is skipped and logged.
Result<std::vector<PartnerEntry>> ListPartnerEntries(const std::string& store_dir);

// Deletes an entry's file and fsyncs the directory.
Status RemovePartnerEntry(const PartnerEntry& entry);

// The token an undelivered entry holds for `alert`, if any.
std::optional<std::string> PartnerToken(const std::string& store_dir, int64_t alert);

// The POST body of a partner notification: [{"token","type","url","source":"secretgate"},...].
std::string PartnerBody(std::span<const PartnerEntry> entries);

// "<repository>:<path>@<commit>" (without "@<commit>" when there is none).
std::string LocationReference(std::string_view repository, std::string_view path,
                              std::string_view commit);

}  // namespace sg::notify
