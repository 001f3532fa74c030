// JSON views of alerts for the reporting code: GitHub's field names, null for absent values.
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace sg::store {

// An ordered object: number, repository, created_at, updated_at, state, resolution, ...,
// locations (array of objects), timeline (array of {event, actor, at, comment, detail}).
nlohmann::ordered_json AlertToJson(const Alert& alert);
nlohmann::ordered_json LocationToJson(const Location& location);

}  // namespace sg::store
