// Decides whether a blob's bytes are worth scanning.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/detection.h"

namespace sg::inspect {

// git's own heuristic: a NUL byte in the first 8000 bytes makes the content binary.
bool LooksBinary(std::string_view data);

// True when `path` matches the shell glob `glob` ("**" crosses directories; a glob without a
// slash matches the file name in any directory).
bool GlobMatch(std::string_view glob, std::string_view path);

// Marks `d` suppressed when `path` matches one of the exclusion globs (first match wins).
void ApplyExclusions(Detection& d, const std::string& path, const std::vector<std::string>& globs);

}  // namespace sg::inspect
