#include "server/alert_rows.h"

#include <algorithm>
#include <unordered_map>

namespace sg::server {
namespace {

constexpr const char* kResolutions[] = {"", "false_positive", "wont_fix", "revoked",
                                        "used_in_tests"};
constexpr const char* kValidities[] = {"unknown", "active", "inactive"};

template <size_t N>
uint8_t CodeOf(const char* const (&table)[N], const std::string& v) {
  for (size_t i = 0; i < N; ++i) {
    if (v == table[i]) return static_cast<uint8_t>(i);
  }
  return 0;
}

// Codes allowed by a list of values (empty list: all allowed), as a bitmask.
template <size_t N>
uint32_t Mask(const char* const (&table)[N], const std::vector<std::string>& values) {
  if (values.empty()) return ~0u;
  uint32_t m = 0;
  for (const auto& v : values) {
    for (size_t i = 0; i < N; ++i) {
      if (v == table[i]) m |= 1u << i;
    }
  }
  return m;
}

}  // namespace

void AlertRows::Update(std::span<const store::Alert> alerts, int64_t seq) {
  if (seq == seq_ && alerts.size() == rows_.size()) return;
  rows_.clear();
  rows_.reserve(alerts.size());
  types_.clear();
  std::unordered_map<std::string, uint32_t> type_index;
  ListQuery created_q, updated_q;
  updated_q.sort_updated = true;
  for (const auto& a : alerts) {
    AlertRow r;
    r.created = KeyOf(created_q, a, 0).time;
    r.updated = KeyOf(updated_q, a, 0).time;
    r.number = a.number;
    auto [it, added] = type_index.emplace(a.secret_type, static_cast<uint32_t>(types_.size()));
    if (added) types_.push_back(a.secret_type);
    r.type = it->second;
    r.state = a.state == "resolved" ? 1 : 0;
    r.resolution = CodeOf(kResolutions, a.resolution);
    r.validity = CodeOf(kValidities, a.validity);
    rows_.push_back(r);
  }
  seq_ = seq;
}

void AlertRows::Collect(const ListQuery& q, size_t repo, std::vector<ListKey>& keys) const {
  const int state = !q.state ? -1 : *q.state == "resolved" ? 1 : 0;
  const uint32_t resolutions = Mask(kResolutions, q.resolutions);
  const uint32_t validities = Mask(kValidities, q.validities);
  std::vector<bool> types(types_.size(), q.secret_types.empty());
  for (const auto& t : q.secret_types) {
    auto it = std::find(types_.begin(), types_.end(), t);
    if (it != types_.end()) types[static_cast<size_t>(it - types_.begin())] = true;
  }
  for (const auto& r : rows_) {
    if ((state >= 0 && r.state != state) || !((resolutions >> r.resolution) & 1) ||
        !((validities >> r.validity) & 1) || !types[r.type]) {
      continue;
    }
    keys.push_back(ListKey{q.sort_updated ? r.updated : r.created, repo, r.number});
  }
}

}  // namespace sg::server
