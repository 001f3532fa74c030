// The web page's files (src/server/web/), embedded at build time by cmake/embed_assets.cmake.
#pragma once

#include <string_view>
#include <vector>

namespace sg::server {

struct Asset {
  std::string_view name;  // file name, e.g. "app.js"
  std::string_view bytes;
};

// Every embedded file; lives as long as the program.
const std::vector<Asset>& WebAssets();

}  // namespace sg::server
