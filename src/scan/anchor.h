// Which literals a regex's every match must contain: Hyperscan's speed on a rule set comes from
// finding such literals first (its literal matcher runs at GB/s) and running automata only
// around them. A rule without one of at least kMinAnchor bytes makes the automaton run at
// every byte and slows the whole database (issue 12: two such rules cut a 258-rule
// database from ~1.4 to ~0.45 GB/s), so the engine keeps those rules out of the main database
// and runs them in a second pass, only on buffers where one of their keywords occurs.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace sg::scan {

inline constexpr size_t kMinAnchor = 3;

// A set of lower-cased strings such that every match of `regex` (PCRE syntax) contains at least
// one of them, chosen to have the longest shortest member; nullopt when none is known (the
// regex has none, or uses syntax this analysis does not follow).
std::optional<std::set<std::string>> RequiredLiterals(std::string_view regex);

// True when every match of `regex` contains one of a few (at most 64) literals of at least
// kMinAnchor bytes: Hyperscan can anchor it. Unknown syntax counts as anchored (the rule then
// stays in the main database, as before this analysis).
bool HyperscanCanAnchor(std::string_view regex);

}  // namespace sg::scan
