// History questions a scan asks: where a blob first appears, and which commits a range names.
#pragma once

#include <atomic>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "git/repository.h"
#include "util/status.h"

namespace sg::git {

struct BlobPlace {
  Oid commit;
  std::string path;
};

// The first commit (oldest first, parents before children, from every ref and HEAD) and path
// holding each of `blobs`. The walk stops as soon as every blob is placed; blobs no ref reaches
// are absent from the result. Each tree is read once.
Result<std::map<Oid, BlobPlace>> PlaceBlobs(const Repository& repo, const std::set<Oid>& blobs);

// The place PlaceBlobs gives each blob, for every blob a ref reaches: for a scan that walks the
// history alongside reading the objects, before it knows which blobs will have findings. Fails
// when `stop` is set, or when the history holds more than `max_blobs` blobs (the map would grow
// too large; PlaceBlobs of the blobs wanted is the fallback).
using BlobPlaces = std::unordered_map<Oid, BlobPlace, OidHash>;
Result<BlobPlaces> PlaceAllBlobs(const Repository& repo, const std::atomic<bool>& stop,
                                 size_t max_blobs);

// Which commits a scan covers: `range` ("A..B": reachable from B and not from A), `branch`
// (a ref or branch name: what it reaches), `since` (committed at or after that time); unset
// parts do not narrow. With no range and no branch, every ref is a start.
struct CommitSelection {
  std::string range;
  std::string branch;
  std::optional<std::time_t> since;
  bool empty() const { return range.empty() && branch.empty() && !since; }
};

// Parses a --since value: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] with an optional Z or +HH:MM, or
// @SECONDS (Unix time). Invalid names the accepted forms.
Result<std::time_t> ParseSince(const std::string& text);

// The selected commits, oldest first (parents before children). Invalid when a range or ref
// does not resolve.
Result<std::vector<Oid>> SelectCommits(const Repository& repo, const CommitSelection& sel);

}  // namespace sg::git
