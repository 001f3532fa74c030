// Every object of a repository in the order that reads fastest: pack by pack, in pack-offset
// order (as `git cat-file --batch-all-objects --unordered` reads them), then loose objects.
// Reading packed objects in offset order lets libgit2's delta-base cache serve each delta's
// base; in hash order the same reads decode several times slower.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "git/libgit2.h"
#include "util/status.h"

namespace sg::git {

// A version 2 pack index (.idx), read whole. libgit2 does not expose pack offsets.
class PackIndex {
 public:
  static Result<PackIndex> Load(const std::string& path);

  uint32_t count() const { return count_; }
  // The id of the i-th object in name order.
  Oid oid(uint32_t i) const;
  // Its offset in the pack.
  uint64_t offset(uint32_t i) const;
  // The position of `id` in name order, or -1 when the pack does not hold it.
  int64_t Find(const git_oid& id) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string data_;
  uint32_t count_ = 0;
};

// The .idx files under `objects_dir`/pack, sorted by name.
std::vector<std::string> PackIndexPaths(const std::string& objects_dir);
// The loose objects under `objects_dir`, in directory order.
std::vector<Oid> LooseObjects(const std::string& objects_dir);

// Lists the objects of `objects_dir` (a repository's objects folder, or a quarantine). Each
// object once. Alternates are not followed.
Result<std::vector<Oid>> ObjectsInPackOrder(const std::string& objects_dir);

}  // namespace sg::git
