// A deliberately small HTTP/1.1 client for the server tests: one request per connection, raw
// bytes on a real socket, so tests can also send what no well-behaved client would.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sg::testing {

struct HttpReply {
  int status = 0;  // 0: no answer (connection refused, closed or timed out)
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& lower) const;
};

// Sends `raw` (a whole request) to 127.0.0.1:port and reads the answer until the server closes.
HttpReply SendRaw(uint16_t port, const std::string& raw, int timeout_ms = 20000);

// A request with Host, Connection: close, Content-Length and the given headers.
HttpReply Http(uint16_t port, const std::string& method, const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& headers = {},
               const std::string& body = "");

// The same with `Authorization: Bearer <token>` (when token is not empty) and, for a body,
// Content-Type: application/json.
HttpReply Api(uint16_t port, const std::string& method, const std::string& path,
              const std::string& token, const std::string& body = "");

}  // namespace sg::testing
