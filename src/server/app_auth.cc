// Authentication and sign-in: tokens in Authorization headers, the page's session cookie and its
// CSRF token, and the admin's token endpoints.
#include <spdlog/spdlog.h>

#include "server/app.h"
#include "util/ct_compare.h"
#include "util/text.h"

namespace sg::server {
namespace {

bool IsSafeMethod(const std::string& m) { return m == "GET" || m == "HEAD"; }

// The token of an Authorization header: "Bearer X" or "token X" (schemes case-insensitive).
std::optional<std::string> HeaderToken(const Request& req) {
  auto h = req.Header("authorization");
  if (!h) return std::nullopt;
  std::string_view v = *h;
  for (std::string_view scheme : {"bearer ", "token "}) {
    if (v.size() > scheme.size() && ToLowerAscii(v.substr(0, scheme.size())) == scheme) {
      std::string_view t = v.substr(scheme.size());
      while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
      while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
      return std::string(t);
    }
  }
  return std::string();  // present but in no scheme we know: bad credentials
}

Result<std::optional<auth::Token>> TokenById(App& app, const std::string& id) {
  auto all = app.tokens().List();
  if (!all.ok()) return all.status();
  for (auto& t : *all) {
    if (t.id == id && !t.revoked()) return std::optional<auth::Token>(t);
  }
  return std::optional<auth::Token>();
}

std::string CookieHeader(const App& app, const std::string& value, int max_age) {
  return std::string(kSessionCookie) + "=" + value +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age) +
         (app.options().secure_cookie ? "; Secure" : "");
}

Json SessionJson(const auth::Token& t, const std::string& csrf) {
  Json j = UserJson(t.name);
  j["secretgate_role"] = std::string(auth::RoleName(t.role));
  j["secretgate_repos"] = t.repos;
  j["csrf_token"] = csrf;
  return j;
}

bool IsJson(const Request& req) {
  auto ct = req.Header("content-type");
  return ct && ToLowerAscii(*ct).rfind("application/json", 0) == 0;
}

}  // namespace

std::string SessionCookie(const Request& req) {
  for (const auto& [k, v] : req.headers) {
    if (k != "cookie") continue;
    std::string_view s = v;
    while (!s.empty()) {
      size_t semi = s.find(';');
      std::string_view part = s.substr(0, semi);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      const std::string prefix = std::string(kSessionCookie) + "=";
      if (part.rfind(prefix, 0) == 0) return std::string(part.substr(prefix.size()));
      if (semi == std::string_view::npos) break;
      s.remove_prefix(semi + 1);
    }
  }
  return "";
}

AuthOutcome Authenticate(App& app, const Request& req) {
  AuthOutcome out;
  if (auto presented = HeaderToken(req)) {
    auto t = app.tokens().Authenticate(*presented);
    if (!t.ok()) {
      spdlog::error("token check failed: {}", t.status().message());
      out.refusal = ErrorResponse(500, "Internal error");
      return out;
    }
    if (!t->has_value()) {
      spdlog::warn("auth: bad credentials from {} for {} {}", req.remote, req.method,
                   EscapeControl(req.path.substr(0, 200)));
      out.refusal = ErrorResponse(401, "Bad credentials");
      return out;
    }
    out.caller = Caller{**t, false, ""};
    return out;
  }
  const std::string cookie = SessionCookie(req);
  if (!cookie.empty()) {
    auto s = app.sessions().Find(cookie);
    auto t = s ? TokenById(app, s->token_id)
               : Result<std::optional<auth::Token>>(std::optional<auth::Token>());
    if (!t.ok()) {
      out.refusal = ErrorResponse(500, "Internal error");
      return out;
    }
    if (!s || !t->has_value()) {
      out.refusal = ErrorResponse(401, "Session expired or signed out");
      return out;
    }
    if (!IsSafeMethod(req.method)) {
      auto sent = req.Header("x-csrf-token");
      if (!sent || !ConstantTimeEqual(*sent, s->csrf)) {
        spdlog::warn("auth: {} {} from {} with a session but without its CSRF token", req.method,
                     EscapeControl(req.path.substr(0, 200)), req.remote);
        out.refusal = ErrorResponse(403, "CSRF token missing or wrong");
        return out;
      }
    }
    out.caller = Caller{**t, true, s->csrf};
    return out;
  }
  out.refusal = ErrorResponse(401, "Requires authentication");
  return out;
}

Response HandleSession(App& app, const Request& req) {
  if (req.method == "POST") {
    // JSON only: a cross-site form cannot send it without a CORS preflight, which this server
    // never answers, so no other site can sign a browser in (login CSRF).
    if (!IsJson(req)) return ErrorResponse(415, "Sign-in expects application/json");
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("token") ||
        !body["token"].is_string()) {
      return Unprocessable("expected {\"token\": \"sgt_...\"}", "token");
    }
    auto t = app.tokens().Authenticate(body["token"].get<std::string>());
    if (!t.ok()) return ErrorResponse(500, "Internal error");
    if (!t->has_value()) {
      spdlog::warn("auth: failed sign-in from {}", req.remote);
      return ErrorResponse(401, "Bad credentials");
    }
    auto s = app.sessions().Create((*t)->id);
    if (!s.ok()) return ErrorResponse(500, "Internal error");
    Caller who{**t, true, s->session.csrf};
    Audit(who, req, "session.create", "");
    Response r = JsonResponse(201, SessionJson(**t, s->session.csrf));
    r.headers.push_back({"Set-Cookie", CookieHeader(app, s->cookie, 12 * 3600)});
    return r;
  }
  if (req.method == "GET" || req.method == "DELETE") {
    AuthOutcome a = Authenticate(app, req);
    if (a.refusal) return *a.refusal;
    if (!a.caller->via_session) return ErrorResponse(400, "No session: this call is for the page");
    if (req.method == "GET") return JsonResponse(200, SessionJson(a.caller->token, a.caller->csrf));
    app.sessions().Remove(SessionCookie(req));
    Audit(*a.caller, req, "session.delete", "");
    Response r;
    r.status = 204;
    r.headers.push_back({"Set-Cookie", CookieHeader(app, "", 0)});
    return r;
  }
  return ErrorResponse(405, "Method Not Allowed");
}

Response HandleTokensApi(App& app, const Request& req, const Caller& who,
                         const std::vector<std::string>& p) {
  if (who.token.role != auth::Role::kAdmin) {
    return ErrorResponse(403, "Resource not accessible: the admin role is required");
  }
  if (p.size() == 2 && (req.method == "GET" || req.method == "HEAD")) {
    auto all = app.tokens().List();
    if (!all.ok()) return ErrorResponse(500, "Internal error");
    Json arr = Json::array();
    for (const auto& t : *all) {
      Json j;
      j["id"] = t.id;
      j["name"] = t.name;
      j["role"] = std::string(auth::RoleName(t.role));
      j["repos"] = t.repos;
      j["created_at"] = t.created_at;
      j["revoked_at"] = t.revoked_at.empty() ? Json() : Json(t.revoked_at);
      arr.push_back(std::move(j));
    }
    return JsonResponse(200, arr);
  }
  if (p.size() == 3 && req.method == "DELETE") {
    Status s = app.tokens().Revoke(p[2]);
    if (s.code() == Code::kNotFound) return ErrorResponse(404, "Not Found");
    if (s.code() == Code::kConflict) return ErrorResponse(422, s.message());
    if (!s.ok()) return ErrorResponse(500, "Internal error");
    Audit(who, req, "token.revoke", "token=" + p[2]);
    Response r;
    r.status = 204;
    return r;
  }
  return ErrorResponse(404, "Not Found");
}

}  // namespace sg::server
