// A compact copy of what listings filter and sort on, one 32-byte row per alert, kept per
// repository and rebuilt only when the store's journal moved on (Store::Visit's seq). Scanning
// 100,000 full Alert objects touched two cache lines per alert and cost about 20 ms a request;
// the rows make a filtered, sorted page of the same store a sub-millisecond scan.
// Not thread-safe: the owner guards it (the server uses it under the repository's catalog lock).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "server/listing.h"
#include "store/store.h"

namespace sg::server {

struct AlertRow {
  int64_t created = 0, updated = 0;  // ListKey times
  int64_t number = 0;
  uint32_t type = 0;       // index into AlertRows::types()
  uint8_t state = 0;       // 0 open, 1 resolved
  uint8_t resolution = 0;  // 0 none, then false_positive, wont_fix, revoked, used_in_tests
  uint8_t validity = 0;    // 0 unknown, 1 active, 2 inactive
};

class AlertRows {
 public:
  // Rebuilds the rows when `seq` or the number of alerts differs from the last call.
  void Update(std::span<const store::Alert> alerts, int64_t seq);
  // Appends the key of every row `q` matches (repository index `repo`) to `keys`.
  void Collect(const ListQuery& q, size_t repo, std::vector<ListKey>& keys) const;
  size_t size() const { return rows_.size(); }

 private:
  int64_t seq_ = -2;
  std::vector<AlertRow> rows_;
  std::vector<std::string> types_;
};

}  // namespace sg::server
