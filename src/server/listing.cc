#include "server/listing.h"

#include <algorithm>
#include <charconv>

#include "store/event.h"
#include "util/text.h"

namespace sg::server {
namespace {

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

bool Matches(const ListQuery& q, const store::Alert& a) {
  auto any = [](const std::vector<std::string>& set, const std::string& v) {
    return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
  };
  return (!q.state || a.state == *q.state) && any(q.secret_types, a.secret_type) &&
         any(q.resolutions, a.resolution) && any(q.validities, a.validity);
}

ListKey KeyOf(const ListQuery& q, const store::Alert& a, size_t repo) {
  return ListKey{TimeKey(q.sort_updated ? a.updated_at : a.created_at), repo, a.number};
}

Result<Page> Paginate(const ListQuery& q, std::vector<ListKey> keys,
                      const std::vector<std::string>& names) {
  // The answer order: by time, then repository name, then number; all reversed for desc.
  auto less = [&](const ListKey& a, const ListKey& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.repo != b.repo) return names[a.repo] < names[b.repo];
    return a.number < b.number;
  };
  auto before_in_order = [&](const ListKey& a, const ListKey& b) {
    return q.ascending ? less(a, b) : less(b, a);
  };
  std::sort(keys.begin(), keys.end(), before_in_order);
  Page page;
  const size_t per = static_cast<size_t>(q.per_page);
  if (q.before || q.after) {
    // An empty cursor starts cursor paging: after= from the first item, before= from the last.
    const std::string& text = q.after ? *q.after : *q.before;
    Result<CursorKey> c = CursorKey{};
    if (!text.empty()) c = ParseCursor(text);
    if (!c.ok()) return c.status();
    // The first key that comes after the cursor's place in the order.
    auto cmp_cursor = [&](const ListKey& k) {  // <0: k before cursor, 0 same, >0 after
      int s = 0;
      if (k.time != c->time)
        s = k.time < c->time ? -1 : 1;
      else if (names[k.repo] != c->repo)
        s = names[k.repo] < c->repo ? -1 : 1;
      else if (k.number != c->number)
        s = k.number < c->number ? -1 : 1;
      return q.ascending ? s : -s;
    };
    size_t first_after = 0, first_not_before = keys.size();
    if (!text.empty()) {
      first_not_before = 0;
      while (first_not_before < keys.size() && cmp_cursor(keys[first_not_before]) < 0)
        ++first_not_before;
      first_after = first_not_before;
      while (first_after < keys.size() && cmp_cursor(keys[first_after]) == 0) ++first_after;
    }
    size_t b, e;
    if (q.after) {
      b = first_after;
      e = std::min(keys.size(), b + per);
    } else {
      e = first_not_before;
      b = e > per ? e - per : 0;
    }
    page.items.assign(keys.begin() + static_cast<long>(b), keys.begin() + static_cast<long>(e));
    if (e < keys.size() && e > b)
      page.links.push_back({"next", {{"after", Cursor(keys[e - 1], names)}}});
    if (b > 0 && e > b) page.links.push_back({"prev", {{"before", Cursor(keys[b], names)}}});
    return page;
  }
  const size_t total = keys.size();
  const int64_t last = total == 0 ? 1 : static_cast<int64_t>((total + per - 1) / per);
  const size_t b = std::min(total, static_cast<size_t>(q.page - 1) * per);
  const size_t e = std::min(total, b + per);
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
