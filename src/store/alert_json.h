// JSON views of alerts for the reporting code: GitHub's field names, null for absent values.
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace sg::store {

// An ordered object: number, repository, created_at, updated_at, state, resolution, ...,
// locations (array of objects), timeline (array of {event, actor, at, comment, detail}).
nlohmann::ordered_json AlertToJson(const Alert& alert);
nlohmann::ordered_json LocationToJson(const Location& location);

// What a location is, as its `type` field says: "commit_message" (the secret is in a commit's
// message: no path, the blob is the commit), "tag_message" (an annotated tag's message: no path
// or commit, the ref is the tag's), or "commit" (a file's content, as GitHub names it).
// Locations recorded before this field with the placeholder paths "(commit message)" and
// "(tag message)" are typed by them.
std::string_view LocationType(const Location& location);

// Appends ToJson(alert) to `out` without building a JSON tree: listing 100,000 alerts spent
// most of its time building and serialising nlohmann objects. Same bytes as
// DumpJson(AlertToJson(alert)) (tests/store check it).
void AppendAlertJson(std::string& out, const Alert& alert);

}  // namespace sg::store
