// MarkMultiRepo (store.h).
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace sg::store {

void MarkMultiRepo(std::vector<Alert>& alerts) {
  // Per hash: the first repository seen with it, and whether a second one was.
  struct Seen {
    const std::string* repository;
    bool many;
  };
  std::unordered_map<std::string, Seen> seen;
  auto note = [&](char kind, const std::string& hash, const std::string& repository) {
    if (hash.empty()) return;
    auto [it, fresh] = seen.try_emplace(kind + hash, Seen{&repository, false});
    if (!fresh && *it->second.repository != repository) it->second.many = true;
  };
  for (const Alert& a : alerts) {
    note('f', a.fingerprint, a.repository);
    note('x', a.cross_fingerprint, a.repository);
  }
  auto many = [&](char kind, const std::string& hash) {
    if (hash.empty()) return false;
    auto it = seen.find(kind + hash);
    return it != seen.end() && it->second.many;
  };
  for (Alert& a : alerts) {
    a.multi_repo = many('f', a.fingerprint) || many('x', a.cross_fingerprint);
  }
}

}  // namespace sg::store
