// A cache of loaded, validated rule sets, so that a hook does not parse and validate every
// rules TOML file on every push. The cache file is keyed by the sources' paths, sizes, inodes
// and modification times; it is written only after a load without errors, and anything that
// does not parse is ignored (the sources are loaded again).
#pragma once

#include <string>
#include <vector>

#include "rules/loader.h"

namespace sg::rules {

// LoadRules(paths), from the cache in `cache_dir` when it is current. An empty `cache_dir`
// disables the cache. Examples are not cached: use LoadRules for `rules check`.
LoadResult LoadRulesCached(const std::vector<std::string>& paths, const std::string& cache_dir);

}  // namespace sg::rules
