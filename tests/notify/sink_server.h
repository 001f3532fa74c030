// Test receivers for notifications: a real HTTP server on 127.0.0.1 (tests/notify/http_sink.py)
// that logs every request before it answers, and can be told to fail, to hang, or to be down.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "helpers.h"

namespace sg::testing {

struct SinkRequest {
  std::string method, path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class SinkServer {
 public:
  SinkServer();  // starts on a free port
  ~SinkServer();
  SinkServer(const SinkServer&) = delete;
  SinkServer& operator=(const SinkServer&) = delete;

  int port() const { return port_; }
  std::string Url(const std::string& path = "/hook") const;

  // Replaces the control file: {"mode": "ok" | "fail" | "hang" | "ok_then_hang" | "auth", ...}.
  void SetControl(const std::string& json);
  // Kills the server (connections drop; the port refuses) / starts it again on the same port.
  void Stop();
  void Start();

  // Every request logged so far, across restarts, oldest first.
  std::vector<SinkRequest> Requests() const;

 private:
  TempDir dir_;
  int port_ = 0;
  int pid_ = -1;
};

// Polls `done` every 50 ms for at most `seconds`; returns its last answer. For waiting on
// background work, never for asserting how long something took.
bool WaitUntil(const std::function<bool()>& done, double seconds = 60);

std::string Base64Decode(const std::string& in);
// Lower-case hex HMAC-SHA256, computed with libcrypto directly (independent of secretgate's).
std::string HmacSha256Hex(const std::string& key, const std::string& data);

}  // namespace sg::testing
