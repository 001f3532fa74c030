// The secret-scanning alert endpoints: repository, organisation and server-wide listings, one
// alert, its locations, and PATCH (close or reopen) through the same Store calls the CLI uses.
#include <spdlog/spdlog.h>

#include <charconv>
#include <map>

#include "server/alert_rows.h"
#include "server/app.h"
#include "server/listing.h"
#include "store/event.h"
#include "util/text.h"

namespace sg::server {
namespace {

constexpr size_t kMaxCommentBytes = 16 << 10;

std::optional<int64_t> Number(const std::string& s) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || n < 1 || s[0] == '+') return std::nullopt;
  return n;
}

Response StoreFailure(const RepoRef& repo, const Status& s) {
  spdlog::error("store of {}: {}", repo.full_name(), s.message());
  if (s.code() == Code::kCorruption) {
    return ErrorResponse(503, "The alert store of " + repo.full_name() +
                                  " is damaged; `secretgate store verify` shows where");
  }
  return ErrorResponse(503,
                       "The alert store of " + repo.full_name() + " is unavailable; try again");
}

// Approved bypass requests of a store, by alert: who reviewed, which request.
std::map<int64_t, ReviewInfo> Reviews(App& app, const std::string& store_dir) {
  std::map<int64_t, ReviewInfo> out;
  auto j = bypass::BypassJournal::Open(store_dir, "", false);
  if (!j.ok()) return out;
  auto all = j->List(app.Now());
  if (!all.ok()) {
    spdlog::warn("bypass requests in {}: {}", store_dir, all.status().message());
    return out;
  }
  for (const auto& r : *all) {
    if (r.status != "approved") continue;
    for (int64_t a : r.alerts) out[a] = ReviewInfo{r.reviewer, r.review_comment, r.number};
  }
  return out;
}

Json OneAlert(App& app, const store::Alert& a, const RepoRef& repo, bool with_repo,
              const std::map<int64_t, ReviewInfo>& reviews) {
  auto it = a.push_protection_bypassed ? reviews.find(a.number) : reviews.end();
  return AlertJson(a, repo, app.urls(), with_repo, it == reviews.end() ? nullptr : &it->second);
}

Response List(App& app, const Request& req, const std::vector<RepoRef>& repos, bool with_repo) {
  auto q = ParseListQuery(req.query);
  if (!q.ok()) return Unprocessable(q.status().message());
  std::vector<std::string> names;
  for (const auto& r : repos) names.push_back(r.full_name());
  std::vector<ListKey> keys;
  for (size_t i = 0; i < repos.size(); ++i) {
    std::shared_ptr<AlertRows> rows = app.RowsOf(repos[i].git_dir);
    Status s = app.catalog().WithStore(repos[i], false, [&](store::Store* st) {
      if (!st) return Status::Ok();
      // Under the repository's lock: the rows are used by one request at a time.
      return st->Visit([&](std::span<const store::Alert> alerts, int64_t seq) {
        rows->Update(alerts, seq);
        rows->Collect(*q, i, keys);
      });
    });
    if (!s.ok()) return StoreFailure(repos[i], s);
  }
  auto page = Paginate(*q, std::move(keys), names);
  if (!page.ok()) return Unprocessable(page.status().message(), "cursor");
  // Second pass: copy only the alerts of this page, repository by repository.
  std::map<size_t, std::vector<size_t>> by_repo;
  for (size_t k = 0; k < page->items.size(); ++k) by_repo[page->items[k].repo].push_back(k);
  std::vector<Json> out(page->items.size());
  for (const auto& [ri, slots] : by_repo) {
    std::vector<store::Alert> copies;
    std::string dir;
    Status s = app.catalog().WithStore(repos[ri], false, [&](store::Store* st) {
      if (!st) return Status::Ok();
      dir = st->dir();
      return st->Visit([&](std::span<const store::Alert> alerts, int64_t) {
        for (size_t k : slots) {
          const int64_t n = page->items[k].number;
          if (n >= 1 && static_cast<size_t>(n) <= alerts.size())
            copies.push_back(alerts[n - 1]);
          else
            copies.emplace_back();
        }
      });
    });
    if (!s.ok()) return StoreFailure(repos[ri], s);
    bool any_bypassed = false;
    for (const auto& a : copies) any_bypassed = any_bypassed || a.push_protection_bypassed;
    const auto reviews = any_bypassed ? Reviews(app, dir) : std::map<int64_t, ReviewInfo>();
    for (size_t c = 0; c < copies.size() && c < slots.size(); ++c) {
      out[slots[c]] = OneAlert(app, copies[c], repos[ri], with_repo, reviews);
    }
  }
  Json arr = Json::array();
  for (auto& j : out) arr.push_back(std::move(j));
  Response r = JsonResponse(200, arr);
  std::string link = LinkHeader(app.urls().base, req.path, req.query, *page);
  if (!link.empty()) r.headers.push_back({"Link", link});
  return r;
}

Response Locations(App& app, const Request& req, const RepoRef& repo, const store::Alert& a) {
  ListQuery q;
  for (const auto& [k, v] : req.query) {
    if (k != "page" && k != "per_page") continue;
    auto parsed = ParseListQuery({{k, v}});
    if (!parsed.ok()) return Unprocessable(parsed.status().message(), k);
    if (k == "page")
      q.page = parsed->page;
    else
      q.per_page = parsed->per_page;
  }
  const size_t per = static_cast<size_t>(q.per_page), total = a.locations.size();
  const size_t b = std::min(total, static_cast<size_t>(q.page - 1) * per),
               e = std::min(total, b + per);
  Json arr = Json::array();
  for (size_t i = b; i < e; ++i) arr.push_back(LocationJson(a.locations[i], repo, app.urls()));
  Page page;
  const int64_t last = total == 0 ? 1 : static_cast<int64_t>((total + per - 1) / per);
  if (q.page < last) page.links.push_back({"next", {{"page", std::to_string(q.page + 1)}}});
  if (q.page < last) page.links.push_back({"last", {{"page", std::to_string(last)}}});
  if (q.page > 1)
    page.links.push_back({"prev", {{"page", std::to_string(std::min(q.page - 1, last))}}});
  if (q.page > 1) page.links.push_back({"first", {{"page", "1"}}});
  Response r = JsonResponse(200, arr);
  std::string link = LinkHeader(app.urls().base, req.path, req.query, page);
  if (!link.empty()) r.headers.push_back({"Link", link});
  return r;
}

// PATCH body -> Close or Reopen, with GitHub's 422s for what does not fit.
Response Patch(App& app, const Request& req, const Caller& who, const RepoRef& repo, int64_t n) {
  if (who.token.role < auth::Role::kTriage) {
    return ErrorResponse(403,
                         "Resource not accessible: the triage role is required to change alerts");
  }
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return ErrorResponse(400, "Problems parsing JSON");
  auto str = [&](const char* k) -> std::optional<std::string> {
    auto it = body.find(k);
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) return std::string("\x01");  // wrong type: reported below
    return it->get<std::string>();
  };
  auto state = str("state"), resolution = str("resolution"), comment = str("resolution_comment");
  for (auto [v, k] : {std::pair{&state, "state"},
                      {&resolution, "resolution"},
                      {&comment, "resolution_comment"}}) {
    if (*v && **v == "\x01") return Unprocessable(std::string(k) + " must be a string", k);
  }
  if (!state) return Unprocessable("state is required (open or resolved)", "state");
  if (*state != "open" && *state != "resolved") {
    return Unprocessable("state must be open or resolved, not '" + EscapeControl(*state) + "'",
                         "state");
  }
  if (*state == "resolved" && !resolution) {
    return Unprocessable(
        "resolution is required when state is resolved "
        "(false_positive, wont_fix, revoked, used_in_tests)",
        "resolution");
  }
  if (*state == "resolved" && !store::IsResolution(*resolution)) {
    return Unprocessable(
        "resolution must be false_positive, wont_fix, revoked or used_in_tests, not '" +
            EscapeControl(*resolution) + "'",
        "resolution");
  }
  if (*state == "open" && resolution)
    return Unprocessable("resolution applies only to state resolved", "resolution");
  if (comment && comment->size() > kMaxCommentBytes) {
    return Unprocessable("resolution_comment is longer than 16 KiB", "resolution_comment");
  }
  std::optional<store::Alert> changed;
  Status failure;
  Status s = app.catalog().WithStore(repo, false, [&](store::Store* st) {
    if (!st) return Status::NotFound("no alerts");
    auto r = *state == "resolved" ? st->Close(n, *resolution, comment.value_or(""), who.token.name)
                                  : st->Reopen(n, comment.value_or(""), who.token.name);
    if (!r.ok()) return r.status();
    changed = std::move(*r);
    return Status::Ok();
  });
  if (s.code() == Code::kNotFound) return ErrorResponse(404, "Not Found");
  if (s.code() == Code::kConflict || s.code() == Code::kInvalid)
    return Unprocessable(s.message(), "state");
  if (!s.ok()) return StoreFailure(repo, s);
  Audit(who, req, *state == "resolved" ? "alert.resolve" : "alert.reopen",
        "repo=" + repo.full_name() + " alert=" + std::to_string(n) +
            (resolution ? " resolution=" + *resolution : "") +
            " comment_bytes=" + std::to_string(comment ? comment->size() : 0));
  return JsonResponse(200, OneAlert(app, *changed, repo, false, {}));
}

}  // namespace

Response HandleAlerts(App& app, const Request& req, const Caller& who,
                      const std::vector<std::string>& p) {
  const bool read = req.method == "GET" || req.method == "HEAD";
  // orgs/{org}/secret-scanning/alerts, enterprises/{e}/secret-scanning/alerts
  if ((p[0] == "orgs" || p[0] == "enterprises") && p.size() == 4 && p[3] == "alerts") {
    if (!read) return ErrorResponse(405, "Method Not Allowed");
    const std::vector<RepoRef> repos = VisibleRepos(app, who, p[0] == "orgs" ? p[1] : "");
    if (p[0] == "orgs" && repos.empty()) return ErrorResponse(404, "Not Found");
    return List(app, req, repos, /*with_repo=*/true);
  }
  // repos/{owner}/{repo}/secret-scanning/alerts[/{n}[/locations]]
  if (p[0] != "repos" || p.size() < 5 || p.size() > 7 || p[4] != "alerts")
    return ErrorResponse(404, "Not Found");
  auto repo = app.catalog().Find(p[1], p[2]);
  if (!repo.ok() || !who.token.AllowsRepo(repo->full_name()))
    return ErrorResponse(404, "Not Found");
  if (p.size() == 5) {
    if (!read) return ErrorResponse(405, "Method Not Allowed");
    return List(app, req, {*repo}, false);
  }
  auto n = Number(p[5]);
  if (!n || (p.size() == 7 && p[6] != "locations")) return ErrorResponse(404, "Not Found");
  if (p.size() == 6 && req.method == "PATCH") return Patch(app, req, who, *repo, *n);
  if (!read) return ErrorResponse(405, "Method Not Allowed");
  std::optional<store::Alert> alert;
  std::string dir;
  Status s = app.catalog().WithStore(*repo, false, [&](store::Store* st) {
    if (!st) return Status::NotFound("no alerts");
    auto a = st->Get(*n);
    if (!a.ok()) return a.status();
    alert = std::move(*a);
    dir = st->dir();
    return Status::Ok();
  });
  if (s.code() == Code::kNotFound) return ErrorResponse(404, "Not Found");
  if (!s.ok()) return StoreFailure(*repo, s);
  if (p.size() == 7) return Locations(app, req, *repo, *alert);
  const auto reviews =
      alert->push_protection_bypassed ? Reviews(app, dir) : std::map<int64_t, ReviewInfo>();
  return JsonResponse(200, OneAlert(app, *alert, *repo, false, reviews));
}

}  // namespace sg::server
