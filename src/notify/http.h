// HTTP(S) for notifications and verifiers, over libcurl. The rules every request follows: only
// http and https, TLS peer and host verification on, no redirects, connect and total timeouts,
// and at most kMaxResponseBytes of a response read. libcurl is loaded (dlopen) on the first
// Send, never before: URL checks run in the hooks, which must not pay for loading it.
// Send is thread-safe: each call has its own handle.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace sg::notify {

inline constexpr size_t kMaxResponseBytes = 64 << 10;

struct Url {
  std::string scheme;  // "http" | "https"
  std::string host;    // as written; IPv6 in brackets
  long port = 0;       // explicit or the scheme's default
};

// Invalid unless `url` is an absolute http or https URL with a host (and no space, control
// character or backslash). Send checks that libcurl reads the same scheme and host.
Result<Url> ParseUrl(std::string_view url);

// 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

// Ok if a plain secret may be sent to `url`: https, or http to a loopback host. `what` names the
// setting in the message.
Status CheckSecretUrl(std::string_view url, std::string_view what);

// `url` without user info, query and fragment, for logs and status output.
std::string RedactUrl(std::string_view url);

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  double connect_timeout = 5;  // seconds
  double timeout = 10;         // seconds for the whole exchange
  // The request holds a plain secret: refused unless https or http to a loopback host.
  bool carries_secret = false;
};

struct HttpResponse {
  long status = 0;
  std::string body;  // at most kMaxResponseBytes
  bool truncated = false;
};

// Performs `request`. Any HTTP status is a response; a connection failure, TLS failure, timeout
// or malformed request is an IOError (or Invalid) whose message holds neither headers nor body.
Result<HttpResponse> Send(const HttpRequest& request);

}  // namespace sg::notify
