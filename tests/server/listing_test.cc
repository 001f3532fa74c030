#include "server/listing.h"

#include <doctest/doctest.h>

#include "helpers.h"
#include "server/alert_rows.h"

using namespace sg;
using namespace sg::server;
using sg::testing::Contains;

TEST_CASE("listing queries: GitHub's parameters parse, and bad values name the parameter") {
  auto q = ParseListQuery({{"state", "open"},
                           {"secret_type", "a,b"},
                           {"sort", "updated"},
                           {"direction", "asc"},
                           {"per_page", "500"},
                           {"page", "2"}});
  REQUIRE(q.ok());
  CHECK(q->secret_types == std::vector<std::string>{"a", "b"});
  CHECK(q->per_page == 100);  // GitHub's maximum
  CHECK(q->sort_updated);
  CHECK(q->ascending);
  CHECK(Contains(ParseListQuery({{"state", "x"}}).status().message(), "state"));
  CHECK(!ParseListQuery({{"before", "a"}, {"after", "b"}}).ok());
  CHECK(!ParseListQuery({{"page", "2"}, {"after", ""}}).ok());
}

TEST_CASE("pages and cursors cut the same order, across repositories") {
  ListQuery q;
  q.per_page = 2;
  std::vector<std::string> names = {"a/x", "b/y"};
  std::vector<ListKey> keys;
  for (int i = 1; i <= 5; ++i) keys.push_back({20260101000000 + i, static_cast<size_t>(i % 2), i});
  auto p = Paginate(q, keys, names);
  REQUIRE(p.ok());
  REQUIRE(p->items.size() == 2);
  CHECK(p->items[0].number == 5);  // newest first by default
  q.after = "";
  std::vector<int64_t> seen;
  for (int guard = 0; guard < 5; ++guard) {
    auto page = Paginate(q, keys, names);
    REQUIRE(page.ok());
    for (auto& k : page->items) seen.push_back(k.number);
    bool more = false;
    for (auto& [rel, params] : page->links) {
      if (rel == "next") {
        q.after = params[0].second;
        more = true;
      }
    }
    if (!more) break;
  }
  CHECK(seen == std::vector<int64_t>{5, 4, 3, 2, 1});
  std::string link = LinkHeader("http://h", "/p", {{"per_page", "2"}, {"after", "old"}},
                                *Paginate(q, keys, names));
  CHECK(!Contains(link, "old"));
}

TEST_CASE("listing rows filter as the alerts do, and are rebuilt when the journal moves on") {
  std::vector<store::Alert> alerts(4);
  for (int i = 0; i < 4; ++i) {
    alerts[i].number = i + 1;
    alerts[i].created_at = "2026-01-0" + std::to_string(i + 1) + "T00:00:00Z";
    alerts[i].updated_at = "2026-02-0" + std::to_string(4 - i) + "T00:00:00Z";
    alerts[i].state = i % 2 ? "resolved" : "open";
    alerts[i].resolution = i % 2 ? "revoked" : "";
    alerts[i].secret_type = i < 2 ? "aws" : "github";
  }
  alerts[3].validity = "active";
  AlertRows rows;
  rows.Update(alerts, 10);
  auto numbers = [&](const ListQuery& q) {
    std::vector<ListKey> keys;
    rows.Collect(q, 0, keys);
    std::vector<int64_t> out;
    for (auto& k : keys) out.push_back(k.number);
    return out;
  };
  ListQuery q;
  CHECK(numbers(q) == std::vector<int64_t>{1, 2, 3, 4});
  q.state = "resolved";
  CHECK(numbers(q) == std::vector<int64_t>{2, 4});
  q.secret_types = {"github", "nope"};
  CHECK(numbers(q) == std::vector<int64_t>{4});
  ListQuery v;
  v.validities = {"active"};
  CHECK(numbers(v) == std::vector<int64_t>{4});
  ListQuery r;
  r.resolutions = {"revoked"};
  CHECK(numbers(r) == std::vector<int64_t>{2, 4});
  ListQuery u;
  u.sort_updated = true;
  std::vector<ListKey> keys;
  rows.Collect(u, 0, keys);
  CHECK(keys[0].time == 20260204000000);
  // Same seq and count: kept; a new seq (a close happened): rebuilt.
  alerts[0].state = "resolved";
  rows.Update(alerts, 10);
  ListQuery open;
  open.state = "open";
  CHECK(numbers(open) == std::vector<int64_t>{1, 3});
  rows.Update(alerts, 11);
  CHECK(numbers(open) == std::vector<int64_t>{3});
}
