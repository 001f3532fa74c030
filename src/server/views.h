// The JSON the server answers with, in GitHub's shapes and field names (REFERENCE.md): alerts,
// locations, users, bypass requests. Empty strings become null.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "bypass/requests.h"
#include "server/catalog.h"
#include "store/store.h"

namespace sg::server {

using Json = nlohmann::ordered_json;

// The URLs of one repository's things; base is the server's external URL (no trailing '/').
struct Urls {
  std::string base;
  std::string Api(const RepoRef& r) const { return base + "/api/v3/repos/" + r.full_name(); }
  std::string Alert(const RepoRef& r, int64_t n) const {
    return Api(r) + "/secret-scanning/alerts/" + std::to_string(n);
  }
  std::string AlertPage(const RepoRef& r, int64_t n) const {
    return base + "/" + r.full_name() + "/security/secret-scanning/" + std::to_string(n);
  }
  std::string BypassPage(const RepoRef& r, int64_t n) const {
    return base + "/" + r.full_name() + "/security/secret-scanning/bypass-requests/" +
           std::to_string(n);
  }
};

// {"login", "id", "type": "User", "site_admin": false}, or null for an empty name.
Json UserJson(const std::string& login);

// A bypass request that was approved for an alert: who reviewed it, with what comment.
struct ReviewInfo {
  std::string reviewer, comment;
  int64_t request = 0;
};

// The alert as GitHub shows it, plus secretgate's `secret_redacted` and `timeline`. With
// `with_repository`, a `repository` object as organisation listings carry it. `review` adds the
// push_protection_bypass_request_* fields.
Json AlertJson(const store::Alert& a, const RepoRef& repo, const Urls& urls, bool with_repository,
               const ReviewInfo* review);
// {"type": "commit", "details": {path, start_line, ..., blob_url, commit_url}}
Json LocationJson(const store::Location& l, const RepoRef& repo, const Urls& urls);
Json RepositoryJson(const RepoRef& repo, const Urls& urls);
Json BypassRequestJson(const bypass::BypassRequest& r, const RepoRef& repo, const Urls& urls);

// A GitHub-style error body: {"message", "documentation_url"} (+ "errors" when given).
std::string ErrorBody(const std::string& message, const Json& errors = Json());

}  // namespace sg::server
