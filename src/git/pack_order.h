// Every object of a repository in the order that reads fastest: pack by pack, in pack-offset
// order (as `git cat-file --batch-all-objects --unordered` reads them), then loose objects.
// Reading packed objects in offset order lets libgit2's delta-base cache serve each delta's
// base; in hash order the same reads decode several times slower.
#pragma once

#include <string>
#include <vector>

#include "git/libgit2.h"
#include "util/status.h"

namespace sg::git {

// Lists the objects of `objects_dir` (a repository's objects folder). Pack indexes (.idx v2)
// are read directly: libgit2 does not expose pack offsets. Alternates are not followed.
Result<std::vector<Oid>> ObjectsInPackOrder(const std::string& objects_dir);

}  // namespace sg::git
