#include "server/listing.h"

#include <doctest/doctest.h>

#include "helpers.h"

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
