// Delegated bypass requests over HTTP, shaped as GitHub's "bypass requests" / "bypass responses"
// for secret scanning: list, show, and review (approve or deny) by a triage or admin token that
// is not the requester's.
#include <spdlog/spdlog.h>

#include <charconv>

#include "server/app.h"
#include "util/text.h"

namespace sg::server {
namespace {

Result<std::string> StoreDir(App& app, const RepoRef& repo) {
  std::string dir;
  Status s = app.catalog().WithStore(repo, false, [&](store::Store* st) {
    if (st) dir = st->dir();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return dir;
}

Result<std::vector<bypass::BypassRequest>> RequestsOf(App& app, const RepoRef& repo) {
  auto dir = StoreDir(app, repo);
  if (!dir.ok()) return dir.status();
  if (dir->empty()) return std::vector<bypass::BypassRequest>();
  auto j = bypass::BypassJournal::Open(*dir, "", false);
  if (!j.ok()) return j.status();
  return j->List(app.Now());
}

Response ListOf(App& app, const Request& req, const std::vector<RepoRef>& repos) {
  std::string want = req.Query("status").value_or("all");
  if (want != "all" && want != "pending" && want != "approved" && want != "denied" &&
      want != "expired") {
    return Unprocessable("status must be all, pending, approved, denied or expired", "status");
  }
  Json arr = Json::array();
  for (const auto& repo : repos) {
    auto all = RequestsOf(app, repo);
    if (!all.ok()) {
      spdlog::error("bypass requests of {}: {}", repo.full_name(), all.status().message());
      return ErrorResponse(503, "The bypass requests of " + repo.full_name() + " are unavailable");
    }
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
      if (want == "all" || it->status == want)
        arr.push_back(BypassRequestJson(*it, repo, app.urls()));
    }
  }
  return JsonResponse(200, arr);
}

}  // namespace

Response HandleBypass(App& app, const Request& req, const Caller& who,
                      const std::vector<std::string>& p) {
  const bool read = req.method == "GET" || req.method == "HEAD";
  if ((p[0] == "orgs" || p[0] == "enterprises") && p.size() == 4 && p[3] == "secret-scanning") {
    if (!read) return ErrorResponse(405, "Method Not Allowed");
    const std::vector<RepoRef> repos = VisibleRepos(app, who, p[0] == "orgs" ? p[1] : "");
    return ListOf(app, req, repos);
  }
  if (p[0] != "repos" || p.size() < 5 || p.size() > 6 || p[4] != "secret-scanning") {
    return ErrorResponse(404, "Not Found");
  }
  auto repo = app.catalog().Find(p[1], p[2]);
  if (!repo.ok() || !who.token.AllowsRepo(repo->full_name()))
    return ErrorResponse(404, "Not Found");
  if (p.size() == 5) {
    if (p[3] != "bypass-requests" || !read) return ErrorResponse(404, "Not Found");
    return ListOf(app, req, {*repo});
  }
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(p[5].data(), p[5].data() + p[5].size(), n);
  if (ec != std::errc() || ptr != p[5].data() + p[5].size() || n < 1)
    return ErrorResponse(404, "Not Found");
  if (p[3] == "bypass-requests" && read) {
    auto all = RequestsOf(app, *repo);
    if (!all.ok())
      return ErrorResponse(503, "The bypass requests of " + repo->full_name() + " are unavailable");
    if (n > static_cast<int64_t>(all->size())) return ErrorResponse(404, "Not Found");
    return JsonResponse(200, BypassRequestJson((*all)[n - 1], *repo, app.urls()));
  }
  if (p[3] != "bypass-responses" || req.method != "PATCH") return ErrorResponse(404, "Not Found");
  if (who.token.role < auth::Role::kTriage) {
    return ErrorResponse(
        403, "Resource not accessible: the triage role is required to review bypass requests");
  }
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return ErrorResponse(400, "Problems parsing JSON");
  auto st = body.find("status");
  if (st == body.end() || !st->is_string())
    return Unprocessable("status is required (approve or reject)", "status");
  const std::string decision = st->get<std::string>();
  const bool approve = decision == "approve" || decision == "approved";
  if (!approve && decision != "reject" && decision != "deny" && decision != "denied") {
    return Unprocessable("status must be approve or reject, not '" + EscapeControl(decision) + "'",
                         "status");
  }
  std::string message;
  if (auto m = body.find("message"); m != body.end() && !m->is_null()) {
    if (!m->is_string()) return Unprocessable("message must be a string", "message");
    message = m->get<std::string>();
    if (message.size() > (16 << 10))
      return Unprocessable("message is longer than 16 KiB", "message");
  }
  auto dir = StoreDir(app, *repo);
  if (!dir.ok())
    return ErrorResponse(503, "The alert store of " + repo->full_name() + " is unavailable");
  if (dir->empty()) return ErrorResponse(404, "Not Found");
  auto j = bypass::BypassJournal::Open(*dir, "", false);
  if (!j.ok())
    return ErrorResponse(503, "The bypass requests of " + repo->full_name() + " are unavailable");
  auto r = j->Review(n, approve, who.token.name, message, app.Now(), app.options().bypass);
  if (!r.ok()) {
    switch (r.status().code()) {
      case Code::kNotFound:
        return ErrorResponse(404, "Not Found");
      case Code::kInvalid:
        return ErrorResponse(403, r.status().message());
      case Code::kConflict:
        return Unprocessable(r.status().message(), "status");
      default:
        spdlog::error("review of bypass request {} of {}: {}", n, repo->full_name(),
                      r.status().message());
        return ErrorResponse(503,
                             "The bypass requests of " + repo->full_name() + " are unavailable");
    }
  }
  Audit(who, req, approve ? "bypass.approve" : "bypass.deny",
        "repo=" + repo->full_name() + " request=" + std::to_string(n) +
            " requester=" + r->requester + " comment_bytes=" + std::to_string(message.size()));
  return JsonResponse(200, BypassRequestJson(*r, *repo, app.urls()));
}

}  // namespace sg::server
