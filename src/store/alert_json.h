// JSON views of alerts for the reporting code: GitHub's field names, null for absent values.
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace sg::store {

// An ordered object: number, repository, created_at, updated_at, state, resolution, ...,
// locations (array of objects), timeline (array of {event, actor, at, comment, detail}).
nlohmann::ordered_json AlertToJson(const Alert& alert);
nlohmann::ordered_json LocationToJson(const Location& location);

// Appends ToJson(alert) to `out` without building a JSON tree: listing 100,000 alerts spent
// most of its time building and serialising nlohmann objects. Same bytes as
// DumpJson(AlertToJson(alert)) (tests/store check it).
void AppendAlertJson(std::string& out, const Alert& alert);

}  // namespace sg::store
