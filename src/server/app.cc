#include "server/app.h"

#include <spdlog/spdlog.h>

#include "server/alert_rows.h"
#include "util/text.h"

namespace sg::server {
namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t b = 1;
  while (b <= path.size()) {
    size_t e = path.find('/', b);
    if (e == std::string::npos) e = path.size();
    parts.push_back(path.substr(b, e - b));
    b = e + 1;
  }
  if (!parts.empty() && parts.back().empty()) parts.pop_back();  // a trailing '/'
  return parts;
}

Json WhoAmI(const Caller& who) {
  Json j = UserJson(who.token.name);
  j["name"] = who.token.name;
  j["secretgate_role"] = std::string(auth::RoleName(who.token.role));
  j["secretgate_repos"] = who.token.repos;
  j["secretgate_token_id"] = who.token.id;
  if (who.via_session) j["csrf_token"] = who.csrf;
  return j;
}

}  // namespace

Response JsonResponse(int status, const Json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return r;
}

Response ErrorResponse(int status, const std::string& message, const Json& errors) {
  Response r;
  r.status = status;
  r.body = ErrorBody(message, errors);
  return r;
}

Response Unprocessable(const std::string& message, const std::string& field) {
  Json errors = Json::array();
  Json e;
  e["resource"] = "SecretScanningAlert";
  e["field"] = field.empty() ? Json() : Json(field);
  e["code"] = "invalid";
  e["message"] = message;
  errors.push_back(std::move(e));
  return ErrorResponse(422, "Validation Failed: " + message, errors);
}

std::vector<RepoRef> VisibleRepos(App& app, const Caller& who, const std::string& owner) {
  std::vector<RepoRef> out;
  for (auto& r : app.catalog().All()) {
    if ((owner.empty() || r.owner == owner) && who.token.AllowsRepo(r.full_name())) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

void Audit(const Caller& who, const Request& req, const std::string& action,
           const std::string& what) {
  spdlog::info("audit: actor={} token={} role={} via={} from={} action={} {}", who.token.name,
               who.token.id, auth::RoleName(who.token.role), who.via_session ? "page" : "api",
               req.remote, action, EscapeControl(what));
}

App::App(Catalog& catalog, auth::TokenStore& tokens, AppOptions options)
    : catalog_(catalog), tokens_(tokens), options_(std::move(options)) {
  urls_.base = options_.base_url;
  while (!urls_.base.empty() && urls_.base.back() == '/') urls_.base.pop_back();
}

std::shared_ptr<AlertRows> App::RowsOf(const std::string& git_dir) {
  std::lock_guard<std::mutex> g(rows_mu_);
  auto& r = rows_[git_dir];
  if (!r) r = std::make_shared<AlertRows>();
  return r;
}

std::chrono::system_clock::time_point App::Now() const {
  return options_.now ? options_.now() : std::chrono::system_clock::now();
}

Response App::Handle(const Request& req) {
  const auto start = std::chrono::steady_clock::now();
  Response r;
  if (req.path.empty() || req.path[0] != '/' || req.path.find('\0') != std::string::npos) {
    r = ErrorResponse(400, "Bad request path");
  } else {
    r = Route(req, SplitPath(req.path));
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  spdlog::debug("http {} {} -> {} ({} us)", req.method, EscapeControl(req.path.substr(0, 200)),
                r.status, us);
  return r;
}

Response App::Route(const Request& req, const std::vector<std::string>& parts) {
  const bool api = parts.size() >= 2 && parts[0] == "api" && parts[1] == "v3";
  if (!api) {
    if (parts.size() == 1 && parts[0] == "session") return HandleSession(*this, req);
    if (req.method == "GET" || req.method == "HEAD") {
      if (auto page = ServePage(req)) return *page;
    }
    return ErrorResponse(404, "Not Found");
  }
  AuthOutcome auth = Authenticate(*this, req);
  if (auth.refusal) return *auth.refusal;
  const Caller& who = *auth.caller;
  std::vector<std::string> p(parts.begin() + 2, parts.end());
  if (p.size() == 1 && p[0] == "user") {
    if (req.method != "GET" && req.method != "HEAD")
      return ErrorResponse(405, "Method Not Allowed");
    return JsonResponse(200, WhoAmI(who));
  }
  if (p.empty()) {
    Json j;
    j["secret_scanning_alerts_url"] =
        urls_.base + "/api/v3/repos/{owner}/{repo}/secret-scanning/alerts";
    return JsonResponse(200, j);
  }
  auto has = [&](size_t i, const char* s) { return p.size() > i && p[i] == s; };
  if ((has(0, "repos") && has(3, "secret-scanning")) ||
      (has(0, "orgs") && has(2, "secret-scanning")) ||
      (has(0, "enterprises") && has(2, "secret-scanning"))) {
    return HandleAlerts(*this, req, who, p);
  }
  if ((has(0, "repos") && (has(3, "bypass-requests") || has(3, "bypass-responses"))) ||
      ((has(0, "orgs") || has(0, "enterprises")) && has(2, "bypass-requests"))) {
    return HandleBypass(*this, req, who, p);
  }
  if (has(0, "secretgate") && has(1, "metrics") && p.size() == 2)
    return HandleMetrics(*this, req, who);
  if (has(0, "secretgate") && has(1, "tokens")) return HandleTokensApi(*this, req, who, p);
  return ErrorResponse(404, "Not Found");
}

}  // namespace sg::server
