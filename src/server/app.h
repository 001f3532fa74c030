// `secretgate serve` as a function from Request to Response: routing, authentication, roles,
// the API endpoints, the page and its sign-in. HttpServer calls Handle() from its threads.
//
// Authentication: every API request carries `Authorization: Bearer <token>` (or `token
// <token>`), or the page's session cookie; changes made with the cookie must also carry the
// session's X-CSRF-Token. The actor of every change is the token's user, never a request field.
// Only the page's static files and the sign-in call answer without credentials.
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth/sessions.h"
#include "auth/tokens.h"
#include "bypass/requests.h"
#include "server/catalog.h"
#include "server/http.h"
#include "server/views.h"

namespace sg::server {

class AlertRows;  // server/alert_rows.h

struct AppOptions {
  std::string base_url;  // external URL for url/html_url and Link headers (no trailing '/')
  bypass::Durations bypass;
  bool secure_cookie = false;  // add `Secure` to the cookie (when served over https)
  // Clock for bypass expiry; tests inject one.
  std::function<std::chrono::system_clock::time_point()> now;
};

// Who a request acts as, once authenticated.
struct Caller {
  auth::Token token;
  bool via_session = false;
  std::string csrf;  // the session's, when via_session
};

class App {
 public:
  App(Catalog& catalog, auth::TokenStore& tokens, AppOptions options);
  Response Handle(const Request& req);

  // Pieces the endpoint files share (app_*.cc); not for other callers.
  Catalog& catalog() { return catalog_; }
  auth::TokenStore& tokens() { return tokens_; }
  auth::Sessions& sessions() { return sessions_; }
  const Urls& urls() const { return urls_; }
  const AppOptions& options() const { return options_; }
  std::chrono::system_clock::time_point Now() const;
  // The listing rows of the repository at `git_dir` (created on first use). Use them only inside
  // Catalog::WithStore for that repository, which serialises their users.
  std::shared_ptr<AlertRows> RowsOf(const std::string& git_dir);

 private:
  Response Route(const Request& req, const std::vector<std::string>& parts);
  Catalog& catalog_;
  auth::TokenStore& tokens_;
  auth::Sessions sessions_;
  AppOptions options_;
  Urls urls_;
  std::mutex rows_mu_;
  std::map<std::string, std::shared_ptr<AlertRows>> rows_;
};

// The repositories of `owner` (all of them when `owner` is empty) that `who` may see.
std::vector<RepoRef> VisibleRepos(App& app, const Caller& who, const std::string& owner);

// Responses every endpoint uses.
Response JsonResponse(int status, const Json& body);
Response ErrorResponse(int status, const std::string& message, const Json& errors = Json());
// 422 with GitHub's "Validation Failed" shape naming `field`.
Response Unprocessable(const std::string& message, const std::string& field = "");

// The endpoints, one group per file. `parts` is the path split on '/' without "api/v3".
Response HandleAlerts(App& app, const Request& req, const Caller& who,
                      const std::vector<std::string>& parts);
Response HandleBypass(App& app, const Request& req, const Caller& who,
                      const std::vector<std::string>& parts);
Response HandleMetrics(App& app, const Request& req, const Caller& who);
Response HandleTokensApi(App& app, const Request& req, const Caller& who,
                         const std::vector<std::string>& parts);
// The page: static files (no credentials needed) and sign-in/out.
std::optional<Response> ServePage(const Request& req);
Response HandleSession(App& app, const Request& req);

// Authentication (app_auth.cc): the caller, or the 401/403 answer.
struct AuthOutcome {
  std::optional<Caller> caller;
  std::optional<Response> refusal;
};
AuthOutcome Authenticate(App& app, const Request& req);
// The session cookie's value in a Cookie header, or empty.
std::string SessionCookie(const Request& req);
inline constexpr const char* kSessionCookie = "sg_session";

// Audit line for a change (always at info level, never with secrets or comment text).
void Audit(const Caller& who, const Request& req, const std::string& action,
           const std::string& what);

}  // namespace sg::server
