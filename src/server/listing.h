// Alert listings as GitHub's secret-scanning API pages them: filters, sort, page/per_page with
// RFC 8288 Link headers, and before/after cursors. Pure functions of the query and the keys,
// shared by the repository, organisation and server-wide endpoints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/http.h"
#include "store/store.h"
#include "util/status.h"

namespace sg::server {

struct ListQuery {
  std::optional<std::string> state;          // open | resolved
  std::vector<std::string> secret_types;     // any of (rule ids)
  std::vector<std::string> resolutions;      // any of
  std::vector<std::string> validities;       // any of
  bool sort_updated = false;                 // sort=updated (default created)
  bool ascending = false;                    // direction=asc (default desc)
  int64_t page = 1, per_page = 30;           // per_page at most 100
  std::optional<std::string> before, after;  // opaque cursors from Link headers
};

// Invalid (answered 422) names the parameter and what it accepts.
Result<ListQuery> ParseListQuery(const Pairs& query);

// One listed alert, by where it lives: `repo` indexes the caller's repository list.
struct ListKey {
  int64_t time = 0;  // YYYYMMDDhhmmss of created_at or updated_at: orders like the time
  size_t repo = 0;
  int64_t number = 0;
};
ListKey KeyOf(const ListQuery& q, const store::Alert& a, size_t repo);

struct Page {
  std::vector<ListKey> items;  // in answer order
  // Link header relations to add: rel -> the query parameters that replace page/before/after.
  std::vector<std::pair<std::string, Pairs>> links;
};

// Sorts `keys` as `q` asks and cuts out the page. `repo_names` gives each repo index's full
// name (cursors carry names, not indexes). Invalid for a cursor that does not parse.
Result<Page> Paginate(const ListQuery& q, std::vector<ListKey> keys,
                      const std::vector<std::string>& repo_names);

// The Link header value for `page` under `base_url` + `path`, keeping every other parameter.
std::string LinkHeader(const std::string& base_url, const std::string& path, const Pairs& query,
                       const Page& page);

// "a, b,,c" -> {"a", "b", "c"}: comma-separated values, trimmed, empty ones dropped.
std::vector<std::string> SplitComma(const std::string& s);

// Percent-encodes a query component (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view s);

}  // namespace sg::server
