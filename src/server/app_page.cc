// The page's static files, embedded in the binary: the app shell for "/" and for every page path
// (alert and bypass-request URLs that html_url and the hook print), and /assets/<file>.
#include <string_view>

#include "server/app.h"
#include "server/assets.h"

namespace sg::server {
namespace {

const Asset* FindAsset(std::string_view name) {
  for (const auto& a : WebAssets()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::string TypeOf(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

// Scripts and styles only from this server, no inline code, nothing from any other origin.
constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

Response Serve(const Asset& a) {
  Response r;
  r.content_type = TypeOf(a.name);
  r.body = std::string(a.bytes);
  r.headers.push_back({"Content-Security-Policy", kCsp});
  return r;
}

}  // namespace

std::optional<Response> ServePage(const Request& req) {
  const std::string& p = req.path;
  if (p.rfind("/assets/", 0) == 0) {
    const Asset* a = FindAsset(std::string_view(p).substr(8));
    if (!a || a->name == "index.html") return std::nullopt;
    return Serve(*a);
  }
  // Page routes: "/", "/metrics", "/bypass-requests", "/<owner>/<repo>/security/secret-scanning..."
  const bool page = p == "/" || p == "/metrics" || p == "/bypass-requests" ||
                    p.find("/security/secret-scanning") != std::string::npos;
  if (!page) return std::nullopt;
  const Asset* index = FindAsset("index.html");
  if (!index) return std::nullopt;
  return Serve(*index);
}

}  // namespace sg::server
