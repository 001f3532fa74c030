#include "server/listing.h"

#include <algorithm>
#include <charconv>

#include "store/event.h"
#include "util/text.h"

namespace sg::server {
namespace {

Result<int64_t> PositiveInt(const std::string& name, const std::string& v) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 1 || n > 1000000000) {
    return Status::Invalid("Invalid " + name + ": '" + EscapeControl(v) +
                           "' is not a positive integer");
  }
  return n;
}

int64_t TimeKey(const std::string& t) {
  // "2026-11-22T06:21:52Z" -> 20261122062152; anything else sorts first.
  if (t.size() < 19) return 0;
  int64_t v = 0;
  for (size_t i = 0; i < 19; ++i) {
    if (t[i] >= '0' && t[i] <= '9') v = v * 10 + (t[i] - '0');
  }
  return v;
}

// A cursor names a place in the order: time, repository and number (hex, so it is URL-safe).
std::string Cursor(const ListKey& k, const std::vector<std::string>& names) {
  return HexEncode(std::to_string(k.time) + "|" + names[k.repo] + "|" + std::to_string(k.number));
}

struct CursorKey {
  int64_t time = 0, number = 0;
  std::string repo;
};

Result<CursorKey> ParseCursor(const std::string& c) {
  auto bad = Status::Invalid("Invalid cursor: '" + EscapeControl(c.substr(0, 64)) + "'");
  if (c.empty() || c.size() % 2 || c.size() > 1024) return bad;
  std::string raw;
  for (size_t i = 0; i < c.size(); i += 2) {
    int v = 0;
    auto [p, ec] = std::from_chars(c.data() + i, c.data() + i + 2, v, 16);
    if (ec != std::errc() || p != c.data() + i + 2) return bad;
    raw.push_back(static_cast<char>(v));
  }
  size_t a = raw.find('|'), b = raw.rfind('|');
  if (a == std::string::npos || a == b) return bad;
  CursorKey k;
  auto [p1, e1] = std::from_chars(raw.data(), raw.data() + a, k.time);
  auto [p2, e2] = std::from_chars(raw.data() + b + 1, raw.data() + raw.size(), k.number);
  if (e1 != std::errc() || e2 != std::errc()) return bad;
  k.repo = raw.substr(a + 1, b - a - 1);
  return k;
}

}  // namespace

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b <= s.size()) {
    size_t e = s.find(',', b);
    if (e == std::string::npos) e = s.size();
    std::string part = s.substr(b, e - b);
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) out.push_back(part);
    b = e + 1;
  }
  return out;
}

Result<ListQuery> ParseListQuery(const Pairs& query) {
  ListQuery q;
  for (const auto& [k, v] : query) {
    if (k == "state") {
      if (!store::IsState(v))
        return Status::Invalid("Invalid state: '" + EscapeControl(v) + "' (open or resolved)");
      q.state = v;
    } else if (k == "secret_type") {
      q.secret_types = SplitComma(v);
    } else if (k == "resolution") {
      q.resolutions = SplitComma(v);
      for (const auto& r : q.resolutions) {
        if (!store::IsResolution(r)) {
          return Status::Invalid("Invalid resolution: '" + EscapeControl(r) +
                                 "' (false_positive, wont_fix, revoked, used_in_tests)");
        }
      }
    } else if (k == "validity") {
      q.validities = SplitComma(v);
      for (const auto& r : q.validities) {
        if (!store::IsValidity(r)) {
          return Status::Invalid("Invalid validity: '" + EscapeControl(r) +
                                 "' (active, inactive, unknown)");
        }
      }
    } else if (k == "sort") {
      if (v != "created" && v != "updated") {
        return Status::Invalid("Invalid sort: '" + EscapeControl(v) + "' (created or updated)");
      }
      q.sort_updated = v == "updated";
    } else if (k == "direction") {
      if (v != "asc" && v != "desc")
        return Status::Invalid("Invalid direction: '" + EscapeControl(v) + "' (asc or desc)");
      q.ascending = v == "asc";
    } else if (k == "page") {
      auto n = PositiveInt("page", v);
      if (!n.ok()) return n.status();
      q.page = *n;
    } else if (k == "per_page") {
      auto n = PositiveInt("per_page", v);
      if (!n.ok()) return n.status();
      q.per_page = std::min<int64_t>(*n, 100);
    } else if (k == "before") {
      q.before = v;
    } else if (k == "after") {
      q.after = v;
    }
  }
  if (q.before && q.after) return Status::Invalid("Use before or after, not both");
  if ((q.before || q.after) && q.page != 1)
    return Status::Invalid("Use page or a before/after cursor, not both");
  return q;
}

ListKey KeyOf(const ListQuery& q, const store::Alert& a, size_t repo) {
  return ListKey{TimeKey(q.sort_updated ? a.updated_at : a.created_at), repo, a.number};
}

// Puts the items [b, e) of `keys` in answer order into place without sorting the rest: a page
// of a 100,000-alert listing costs O(n + page log page), not O(n log n).
template <typename Less>
void SelectRange(std::vector<ListKey>& keys, size_t b, size_t e, const Less& less) {
  if (b >= e) return;
  if (b > 0) std::nth_element(keys.begin(), keys.begin() + static_cast<long>(b), keys.end(), less);
  std::partial_sort(keys.begin() + static_cast<long>(b), keys.begin() + static_cast<long>(e),
                    keys.end(), less);
}

Result<Page> Paginate(const ListQuery& q, std::vector<ListKey> keys,
                      const std::vector<std::string>& names) {
  // The answer order: by time, then repository name, then number; all reversed for desc.
  // Repositories compare by the rank of their name, computed once.
  std::vector<size_t> by_name(names.size()), rank(names.size());
  for (size_t i = 0; i < names.size(); ++i) by_name[i] = i;
  std::sort(by_name.begin(), by_name.end(),
            [&](size_t a, size_t b) { return names[a] < names[b]; });
  for (size_t r = 0; r < by_name.size(); ++r) rank[by_name[r]] = r;
  auto less = [&](const ListKey& a, const ListKey& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.repo != b.repo) return rank[a.repo] < rank[b.repo];
    return a.number < b.number;
  };
  auto in_order = [&](const ListKey& a, const ListKey& b) {
    return q.ascending ? less(a, b) : less(b, a);
  };
  Page page;
  const size_t per = static_cast<size_t>(q.per_page);
  if (q.before || q.after) {
    // An empty cursor starts cursor paging: after= from the first item, before= from the last.
    const std::string& text = q.after ? *q.after : *q.before;
    Result<CursorKey> c = CursorKey{};
    if (!text.empty()) c = ParseCursor(text);
    if (!c.ok()) return c.status();
    auto cmp_cursor = [&](const ListKey& k) {  // <0: k before the cursor in answer order, 0 at it
      if (text.empty()) return q.after ? 1 : -1;
      int s = 0;
      if (k.time != c->time) {
        s = k.time < c->time ? -1 : 1;
      } else if (names[k.repo] != c->repo) {
        s = names[k.repo] < c->repo ? -1 : 1;
      } else if (k.number != c->number) {
        s = k.number < c->number ? -1 : 1;
      }
      return q.ascending ? s : -s;
    };
    // Keep the side of the cursor we page into; the other side only tells whether a link back
    // exists.
    const size_t all = keys.size();
    auto mid = std::partition(keys.begin(), keys.end(), [&](const ListKey& k) {
      return q.after ? cmp_cursor(k) > 0 : cmp_cursor(k) < 0;
    });
    keys.erase(mid, keys.end());
    const bool other_side = keys.size() < all;
    const size_t n = keys.size();
    size_t b = 0, e = std::min(n, per);
    if (q.before) {
      b = n > per ? n - per : 0;
      e = n;
    }
    SelectRange(keys, b, e, in_order);
    page.items.assign(keys.begin() + static_cast<long>(b), keys.begin() + static_cast<long>(e));
    const bool more_after = q.after ? e < n : other_side;
    const bool more_before = q.after ? other_side : b > 0;
    if (more_after && e > b)
      page.links.push_back({"next", {{"after", Cursor(keys[e - 1], names)}}});
    if (more_before && e > b) page.links.push_back({"prev", {{"before", Cursor(keys[b], names)}}});
    return page;
  }
  const size_t total = keys.size();
  const int64_t last = total == 0 ? 1 : static_cast<int64_t>((total + per - 1) / per);
  const size_t b = std::min(total, static_cast<size_t>(q.page - 1) * per);
  const size_t e = std::min(total, b + per);
  SelectRange(keys, b, e, in_order);
  page.items.assign(keys.begin() + static_cast<long>(b), keys.begin() + static_cast<long>(e));
  auto page_param = [](int64_t n) { return Pairs{{"page", std::to_string(n)}}; };
  if (q.page > 1) page.links.push_back({"prev", page_param(std::min(q.page - 1, last))});
  if (q.page < last) page.links.push_back({"next", page_param(q.page + 1)});
  if (q.page < last) page.links.push_back({"last", page_param(last)});
  if (q.page > 1) page.links.push_back({"first", page_param(1)});
  return page;
}

std::string UrlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || c == ',') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string LinkHeader(const std::string& base_url, const std::string& path, const Pairs& query,
                       const Page& page) {
  std::string out;
  for (const auto& [rel, params] : page.links) {
    Pairs q;
    for (const auto& kv : query) {
      if (kv.first != "page" && kv.first != "before" && kv.first != "after") q.push_back(kv);
    }
    for (const auto& kv : params) q.push_back(kv);
    std::string url = base_url + path;
    for (size_t i = 0; i < q.size(); ++i) {
      url += (i ? "&" : "?") + UrlEncode(q[i].first) + "=" + UrlEncode(q[i].second);
    }
    if (!out.empty()) out += ", ";
    out += "<" + url + ">; rel=\"" + rel + "\"";
  }
  return out;
}

}  // namespace sg::server
