// The metrics view's numbers: open alerts by type and by repository, and per day the pushes
// that brought secrets (blocked unless bypassed) against the bypasses by reason, plus bypass
// requests by status. Computed from the stores on each call (README says how "blocked" is read).
#include <map>
#include <set>
#include <tuple>

#include "server/app.h"

namespace sg::server {

Response HandleMetrics(App& app, const Request& req, const Caller& who) {
  if (req.method != "GET" && req.method != "HEAD") return ErrorResponse(405, "Method Not Allowed");
  std::map<std::string, int64_t> by_type, by_repo;
  // day -> pushes with new secret locations / bypassed pushes per reason
  std::map<std::string, std::set<std::tuple<std::string, std::string, std::string>>> pushed;
  std::map<std::string,
           std::map<std::string, std::set<std::tuple<std::string, std::string, std::string>>>>
      bypassed;
  std::map<std::string, int64_t> requests;
  int64_t open_total = 0, resolved_total = 0;
  for (const auto& repo : VisibleRepos(app, who, "")) {
    std::string dir;
    Status s = app.catalog().WithStore(repo, false, [&](store::Store* st) {
      if (!st) return Status::Ok();
      dir = st->dir();
      return st->Visit([&](std::span<const store::Alert> alerts, int64_t) {
        for (const auto& a : alerts) {
          if (a.state == "open") {
            ++open_total;
            ++by_type[a.secret_type];
            ++by_repo[repo.full_name()];
          } else {
            ++resolved_total;
          }
          for (const auto& e : a.timeline) {
            const std::string day = e.at.substr(0, 10);
            auto key = std::make_tuple(repo.full_name(), e.at, e.actor);
            if (e.event == "location_created" && !e.actor.empty()) pushed[day].insert(key);
            if (e.event == "push_protection_bypassed") bypassed[day][e.detail].insert(key);
          }
        }
      });
    });
    if (!s.ok())
      return ErrorResponse(503, "The alert store of " + repo.full_name() + " is unavailable");
    if (dir.empty()) continue;
    auto j = bypass::BypassJournal::Open(dir, "", false);
    if (!j.ok()) continue;
    auto all = j->List(app.Now());
    if (!all.ok()) continue;
    for (const auto& r : *all) ++requests[r.status];
  }
  Json out;
  out["open_alerts"] = open_total;
  out["resolved_alerts"] = resolved_total;
  auto counts = [](const std::map<std::string, int64_t>& m, const char* key) {
    Json arr = Json::array();
    for (const auto& [k, n] : m) {
      Json e;
      e[key] = k;
      e["open"] = n;
      arr.push_back(std::move(e));
    }
    return arr;
  };
  out["open_by_secret_type"] = counts(by_type, "secret_type");
  out["open_by_repository"] = counts(by_repo, "repository");
  std::set<std::string> days;
  for (const auto& [d, _] : pushed) days.insert(d);
  for (const auto& [d, _] : bypassed) days.insert(d);
  Json per_day = Json::array();
  for (const auto& d : days) {
    Json e;
    e["day"] = d;
    int64_t bypass_total = 0;
    Json reasons = Json::object();
    std::set<std::tuple<std::string, std::string, std::string>> bypass_keys;
    for (const char* reason : {"false_positive", "used_in_tests", "will_fix_later"}) {
      auto it = bypassed.find(d);
      int64_t n = 0;
      if (it != bypassed.end() && it->second.count(reason)) {
        n = static_cast<int64_t>(it->second.at(reason).size());
        bypass_keys.insert(it->second.at(reason).begin(), it->second.at(reason).end());
      }
      reasons[reason] = n;
      bypass_total += n;
    }
    int64_t blocked = 0;
    if (auto it = pushed.find(d); it != pushed.end()) {
      for (const auto& k : it->second) blocked += bypass_keys.count(k) ? 0 : 1;
    }
    e["pushes_blocked"] = blocked;
    e["pushes_bypassed"] = bypass_total;
    e["bypassed_by_reason"] = std::move(reasons);
    per_day.push_back(std::move(e));
  }
  out["pushes_by_day"] = std::move(per_day);
  Json req_counts = Json::object();
  for (const char* s : {"pending", "approved", "denied", "expired"}) {
    req_counts[s] = requests.count(s) ? requests.at(s) : 0;
  }
  out["bypass_requests"] = std::move(req_counts);
  return JsonResponse(200, out);
}

}  // namespace sg::server
