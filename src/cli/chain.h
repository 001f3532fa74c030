// Hooks that were in place before secretgate keep running: `secretgate protect` moves an
// existing hook aside as "<name>.secretgate-chained", and a repository's own hook still runs
// when secretgate is installed server-wide through core.hooksPath.
#pragma once

#include <string>

namespace sg::cli {

// The marker every secretgate shim contains; a hook file without it is someone else's.
inline constexpr const char* kShimMarker = "secretgate pre-receive hook";
inline constexpr const char* kPostShimMarker = "secretgate post-receive hook";
inline constexpr const char* kChainedShimMarker = "secretgate chained hook";

// True when the file at `path` is one of secretgate's shims.
bool IsSecretgateShim(const std::string& path);

// Runs, in order, "<hook_dir>/<name>.secretgate-chained" and, when `hook_dir` is not the
// repository's own hooks folder, "<git_dir>/hooks/<name>" (unless it is a secretgate shim),
// each with `input` on stdin and the pusher's stdout/stderr. Returns the first non-zero exit
// status, or 0.
int RunChainedHooks(const std::string& name, const std::string& hook_dir,
                    const std::string& git_dir, const std::string& input);

}  // namespace sg::cli
