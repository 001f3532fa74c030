// Sign-in sessions of the web page. A session is created from a valid API token and lives only in
// the server's memory, keyed by the SHA-256 of its cookie value: nothing about it is written to
// disk, a restart signs everyone out, and a memory dump shows no usable cookie. Each session has
// its own CSRF token, which the page sends back in X-CSRF-Token on every change.
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/status.h"

namespace sg::auth {

struct Session {
  std::string token_id;  // the API token that signed in; revoking it ends the session
  std::string csrf;      // 64 hex digits
  std::chrono::steady_clock::time_point expires;
};

class Sessions {
 public:
  explicit Sessions(std::chrono::seconds lifetime = std::chrono::hours(12),
                    size_t max_sessions = 10000)
      : lifetime_(lifetime), max_(max_sessions) {}

  struct NewSession {
    std::string cookie;  // the cookie value (64 hex digits): given to the browser, never stored
    Session session;
  };
  // Evicts expired sessions; when still full, the one closest to expiry.
  Result<NewSession> Create(std::string token_id);
  std::optional<Session> Find(std::string_view cookie);
  void Remove(std::string_view cookie);

 private:
  std::chrono::seconds lifetime_;
  size_t max_;
  std::mutex mu_;
  std::unordered_map<std::string, Session> by_hash_;
};

}  // namespace sg::auth
