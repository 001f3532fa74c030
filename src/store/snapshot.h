// The derived snapshot (snapshot.bin, FORMAT.md): the full State at a journal position, in a
// binary form that loads far faster than replaying the journal. Guarded by a SHA-256 trailer and
// the journal's store_id; the caller checks that the journal still holds the position (CheckPos)
// and replays what follows it.
#pragma once

#include <string>
#include <string_view>

#include "store/state.h"
#include "util/status.h"

namespace sg::store {

std::string EncodeSnapshot(const State& state, std::string_view store_id);
// Corruption if the bytes are not an intact snapshot of the journal `store_id`.
Result<State> DecodeSnapshot(std::string_view data, std::string_view store_id);

}  // namespace sg::store
