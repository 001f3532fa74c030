// A cache of loaded, validated rule sets, so that a hook does not parse and validate every
// rules TOML file on every push. There is one cache file per list of source paths, holding the
// key (the sources' paths, sizes, inodes and change times) of the files it was loaded from; it
// is used only when the key is the sources' current one. It is written only after a load
// without errors, and anything that does not parse is ignored (the sources are loaded again).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rules/loader.h"

namespace sg::rules {

// LoadRules(paths), from the cache in `cache_dir` when it is current. An empty `cache_dir`
// disables the cache. Examples are not cached: use LoadRules for `rules check`.
LoadResult LoadRulesCached(const std::vector<std::string>& paths, const std::string& cache_dir);

// The parts of LoadRulesCached, for a caller that reads the cache while the key is computed
// (a stat of every rule file: about as long as decoding the rules): the cache's rules may be
// used only when `key` equals RulesCacheKey(paths).
struct CachedRules {
  std::string key;
  RuleSet set;
};
// The cache for `paths` as last written, whether current or not; nullopt when there is none,
// or it is damaged (warned when `warn`).
std::optional<CachedRules> ReadRulesCache(const std::vector<std::string>& paths,
                                          const std::string& cache_dir, bool warn = true);
// The sources' current key; empty when one of them cannot be read.
std::string RulesCacheKey(const std::vector<std::string>& paths);

}  // namespace sg::rules
