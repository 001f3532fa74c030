// The HTTP layer of `secretgate serve`: libmicrohttpd behind a small request/response interface,
// so that the API and the page are plain functions of a Request (and tests can call them
// without a socket).
//
// Why libmicrohttpd (README "Serving alerts"): it is a GNU library written for exposure to
// hostile clients (fuzzed, used by embedded and security products), it parses HTTP/1.1 strictly
// when asked to, bounds each connection's memory (which bounds header size and count), applies
// idle timeouts and connection limits itself, and runs its own thread pool; the application never
// touches a socket.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace sg::server {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string path;  // percent-decoded by libmicrohttpd, without the query
  Pairs query;       // decoded, in order
  Pairs headers;     // names lower-cased
  std::string body;
  std::string remote;  // the peer's address ("127.0.0.1")

  // The first value of the header `lower_name`, or nullopt.
  std::optional<std::string> Header(std::string_view lower_name) const;
  std::optional<std::string> Query(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  Pairs headers;
  std::string body;
};

// Called concurrently from the server's threads; must be thread-safe. Must not throw (anything
// it throws becomes a 500 and is logged).
using Handler = std::function<Response(const Request&)>;

struct Limits {
  size_t max_body = 1 << 20;            // bytes of request body; more answers 413
  size_t max_headers = 64;              // header lines; more answers 431
  size_t connection_memory = 32 << 10;  // per connection: bounds the request line and headers
  unsigned idle_timeout_seconds = 10;   // a connection silent this long is closed (slowloris)
  unsigned max_connections = 512;
  unsigned per_ip_connections = 0;  // 0: no per-address limit (a proxy is one address)
  unsigned threads = 4;
};

// A running server. Stops (and joins its threads, waiting for handlers in flight) when destroyed.
class HttpServer {
 public:
  // Listens on host:port (port 0 picks a free one; port() tells which). `host` must be an IPv4
  // or IPv6 literal.
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& host, uint16_t port,
                                                   const Limits& limits, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const { return port_; }

  struct Impl;

 private:
  HttpServer() = default;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace sg::server
