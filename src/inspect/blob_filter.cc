#include "inspect/blob_filter.h"

#include <fnmatch.h>

#include <cstring>
#include <string>

namespace sg::inspect {

bool LooksBinary(std::string_view data) {
  return std::memchr(data.data(), 0, std::min<size_t>(data.size(), 8000)) != nullptr;
}

namespace {

// fnmatch with "**/" meaning any number of directories.
bool Match(const std::string& glob, const std::string& path) {
  size_t star2 = glob.find("**");
  if (star2 == std::string::npos) return fnmatch(glob.c_str(), path.c_str(), FNM_PATHNAME) == 0;
  std::string head = glob.substr(0, star2);
  std::string tail = glob.substr(star2 + 2);
  if (!tail.empty() && tail[0] == '/') tail.erase(0, 1);
  if (path.compare(0, head.size(), head) != 0 &&
      fnmatch((head + "*").c_str(), path.c_str(), 0) != 0) {
    return false;
  }
  if (tail.empty()) return fnmatch((head + "*").c_str(), path.c_str(), 0) == 0;
  // Try the tail against every suffix that starts a path component.
  for (size_t i = head.size(); i <= path.size(); ++i) {
    if (i == head.size() || path[i - 1] == '/') {
      if (Match(tail, path.substr(i))) return true;
    }
  }
  return false;
}

}  // namespace

bool GlobMatch(std::string_view glob, std::string_view path) {
  std::string g(glob), p(path);
  if (g.find('/') == std::string::npos) {
    size_t slash = p.rfind('/');
    std::string base = slash == std::string::npos ? p : p.substr(slash + 1);
    return fnmatch(g.c_str(), base.c_str(), 0) == 0;
  }
  if (!g.empty() && g[0] == '/') g.erase(0, 1);
  return Match(g, p);
}

void ApplyExclusions(Detection& d, const std::string& path, const std::vector<std::string>& globs) {
  for (const auto& glob : globs) {
    if (!d.finding.suppressed_by.empty()) return;
    if (GlobMatch(glob, path)) d.finding.suppressed_by = "path exclusion '" + glob + "'";
  }
}

}  // namespace sg::inspect
