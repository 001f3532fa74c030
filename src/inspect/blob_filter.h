// Decides whether a blob's bytes are worth scanning.
#pragma once

#include <cstdint>
#include <string_view>

namespace sg::inspect {

// git's own heuristic: a NUL byte in the first 8000 bytes makes the content binary.
bool LooksBinary(std::string_view data);

// True when `path` matches the shell glob `glob` ("**" crosses directories; a glob without a
// slash matches the file name in any directory).
bool GlobMatch(std::string_view glob, std::string_view path);

}  // namespace sg::inspect
