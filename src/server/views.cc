#include "server/views.h"

#include "util/text.h"

namespace sg::server {
namespace {

Json Nullable(const std::string& s) { return s.empty() ? Json() : Json(s); }

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

Json UserJson(const std::string& login) {
  if (login.empty()) return Json();
  Json u;
  u["login"] = login;
  // A stable number per name, as clients expect an integer id.
  const std::string h = Sha256Hex(login);
  u["id"] = std::stoll(h.substr(0, 12), nullptr, 16);
  u["type"] = "User";
  u["site_admin"] = false;
  return u;
}

Json RepositoryJson(const RepoRef& repo, const Urls& urls) {
  Json r;
  r["name"] = repo.name;
  r["full_name"] = repo.full_name();
  r["owner"] = UserJson(repo.owner);
  r["private"] = true;
  r["url"] = urls.Api(repo);
  r["html_url"] = urls.base + "/" + repo.full_name() + "/security/secret-scanning";
  return r;
}

Json LocationJson(const store::Location& l, const RepoRef& repo, const Urls& urls) {
  Json d;
  d["path"] = l.path;
  d["start_line"] = l.start_line;
  d["end_line"] = l.end_line;
  d["start_column"] = l.start_column;
  d["end_column"] = l.end_column;
  d["blob_sha"] = Nullable(l.blob_sha);
  d["blob_url"] = l.blob_sha.empty() ? Json() : Json(urls.Api(repo) + "/git/blobs/" + l.blob_sha);
  d["commit_sha"] = Nullable(l.commit_sha);
  d["commit_url"] =
      l.commit_sha.empty() ? Json() : Json(urls.Api(repo) + "/git/commits/" + l.commit_sha);
  // secretgate's additions: where and by whom it was pushed.
  d["ref"] = Nullable(l.ref);
  d["pushed_by"] = Nullable(l.pushed_by);
  d["pushed_at"] = Nullable(l.pushed_at);
  Json j;
  j["type"] = "commit";
  j["details"] = std::move(d);
  return j;
}

Json AlertJson(const store::Alert& a, const RepoRef& repo, const Urls& urls, bool with_repository,
               const ReviewInfo* review) {
  Json j;
  j["number"] = a.number;
  j["created_at"] = a.created_at;
  j["updated_at"] = Nullable(a.updated_at);
  j["url"] = urls.Alert(repo, a.number);
  j["html_url"] = urls.AlertPage(repo, a.number);
  j["locations_url"] = urls.Alert(repo, a.number) + "/locations";
  j["state"] = a.state;
  j["resolution"] = Nullable(a.resolution);
  j["resolved_at"] = Nullable(a.resolved_at);
  j["resolved_by"] = UserJson(a.resolved_by);
  j["resolution_comment"] = Nullable(a.resolution_comment);
  j["secret_type"] = a.secret_type;
  j["secret_type_display_name"] = a.secret_type_display_name;
  j["provider"] = Nullable(a.provider);
  if (a.secret) j["secret"] = *a.secret;  // only with store_secrets; omitted when hidden
  j["secret_redacted"] = a.secret_redacted;
  j["validity"] = a.validity;
  j["push_protection_bypassed"] = a.push_protection_bypassed;
  j["push_protection_bypassed_by"] = UserJson(a.push_protection_bypassed_by);
  j["push_protection_bypassed_at"] = Nullable(a.push_protection_bypassed_at);
  j["push_protection_bypass_request_reviewer"] = review ? UserJson(review->reviewer) : Json();
  j["push_protection_bypass_request_reviewer_comment"] =
      review ? Nullable(review->comment) : Json();
  j["push_protection_bypass_request_comment"] = Json();
  j["push_protection_bypass_request_html_url"] =
      review ? Json(urls.BypassPage(repo, review->request)) : Json();
  j["publicly_leaked"] = false;
  j["multi_repo"] = false;
  j["first_location_detected"] =
      a.locations.empty() ? Json() : LocationJson(a.locations.front(), repo, urls)["details"];
  j["has_more_locations"] = a.locations.size() > 1;
  if (with_repository) j["repository"] = RepositoryJson(repo, urls);
  Json tl = Json::array();
  for (const auto& e : a.timeline) {
    Json t;
    t["event"] = e.event;
    t["actor"] = Nullable(e.actor);
    t["at"] = e.at;
    t["comment"] = Nullable(e.comment);
    t["detail"] = Nullable(e.detail);
    tl.push_back(std::move(t));
  }
  j["timeline"] = std::move(tl);
  return j;
}

Json BypassRequestJson(const bypass::BypassRequest& r, const RepoRef& repo, const Urls& urls) {
  Json j;
  j["id"] = r.number;
  j["number"] = r.number;
  j["repository"] = RepositoryJson(repo, urls);
  Json requester;
  requester["actor_id"] = UserJson(r.requester)["id"];
  requester["actor_name"] = r.requester;
  j["requester"] = requester;
  j["request_type"] = "secret_scanning";
  Json data = Json::array();
  for (size_t i = 0; i < r.alerts.size(); ++i) {
    Json d;
    d["alert_number"] = r.alerts[i];
    d["secret_type"] = i < r.rules.size() ? Json(r.rules[i]) : Json();
    d["path"] = i < r.paths.size() ? Json(r.paths[i]) : Json();
    d["alert_url"] = urls.Alert(repo, r.alerts[i]);
    d["alert_html_url"] = urls.AlertPage(repo, r.alerts[i]);
    data.push_back(std::move(d));
  }
  j["data"] = std::move(data);
  j["refs"] = r.refs;
  j["commits"] = r.commits;
  j["paths"] = r.paths;
  j["status"] = r.status;
  j["requester_comment"] = r.comment;
  j["expires_at"] = r.expires_at;
  j["created_at"] = r.created_at;
  Json responses = Json::array();
  if (!r.reviewer.empty()) {
    Json resp;
    Json reviewer;
    reviewer["actor_id"] = UserJson(r.reviewer)["id"];
    reviewer["actor_name"] = r.reviewer;
    resp["reviewer"] = reviewer;
    resp["status"] = r.status;
    resp["message"] = Nullable(r.review_comment);
    resp["created_at"] = r.reviewed_at;
    responses.push_back(std::move(resp));
  }
  j["responses"] = std::move(responses);
  j["valid_until"] = Nullable(r.valid_until);
  j["url"] = urls.Api(repo) + "/bypass-requests/secret-scanning/" + std::to_string(r.number);
  j["html_url"] = urls.BypassPage(repo, r.number);
  return j;
}

std::string ErrorBody(const std::string& message, const Json& errors) {
  Json j;
  j["message"] = message;
  if (!errors.is_null()) j["errors"] = errors;
  j["documentation_url"] = "https://docs.github.com/rest/secret-scanning/secret-scanning";
  return Dump(j);
}

}  // namespace sg::server
