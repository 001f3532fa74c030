// Scanner: the per-thread half of the engine (see engine.h).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <set>
#include <tuple>

#include "scan/decode.h"
#include "scan/engine.h"
#include "scan/filters.h"
#include "scan/select.h"
#include "util/text.h"

namespace sg::scan {
namespace {

// Bytes before a hit that a confirmation window covers when the regex's width is unbounded.
constexpr size_t kUnboundedWindow = 16 * 1024;
// Bytes after a window's last hit that PCRE2 may read (a trailing \b, a closing quote).
constexpr size_t kTrailingSlack = 64;
// How far before a generic rule's value, on its line, its key name is searched for a
// provider's name.
constexpr size_t kKeyReach = 64;

// Keyword states of the buffer being scanned (Scanner::keyword_hit_).
constexpr uint8_t kKeywordAbsent = 0;
constexpr uint8_t kKeywordPresent = 1;
constexpr uint8_t kKeywordUnknown = 2;  // resolved by searching the buffer when asked

// How far around a rule's hits KeywordHit first looks for the rule's keyword.
constexpr size_t kKeywordNear = 256;

// ScanReusing scans the whole buffer instead when the windows around a delta's edits would
// cover more than this share of it.
constexpr double kMaxReuseScanShare = 0.6;

// How far from a secret an inline marker reaches: the same line, and at most this many bytes
// before the secret starts or after it ends (a marker in a minified file must not cover a
// whole 50 KB line). A "nextline" marker must end within this many bytes of the next line's
// secret.
constexpr size_t kMarkerReach = 256;

// Lines end at \n, \r\n or a lone \r (old Mac files, and minifiers), everywhere: line numbers,
// the lines markers apply to, pattern pairs' line distance.
bool IsEol(char c) { return c == '\n' || c == '\r'; }

struct LineIndex {
  explicit LineIndex(std::string_view d) : data(d) {}
  // 1-based line and byte column of `offset`; offsets must be queried in increasing order
  // for linear cost overall.
  std::pair<int, int> At(size_t offset) {
    if (offset < pos) {
      pos = 0;
      line = 1;
      line_start = 0;
    }
    while (pos < offset) {
      size_t at = data.find_first_of("\r\n", pos);
      if (at == std::string_view::npos || at >= offset) {
        pos = offset;
        break;
      }
      // \r\n is one line end: its \r ends the line, its \n is skipped with it.
      size_t next = at + 1;
      if (data[at] == '\r' && next < data.size() && data[next] == '\n') ++next;
      if (next > offset) {  // `offset` is the \n of a \r\n: still on this line
        pos = offset;
        break;
      }
      ++line;
      line_start = next;
      pos = next;
    }
    return {line, static_cast<int>(offset - line_start + 1)};
  }
  std::string_view data;
  size_t pos = 0;
  int line = 1;
  size_t line_start = 0;
};

// The inline marker that covers the secret at data[start, end), as Finding::suppressed_by, or
// empty: a marker on the same line within kMarkerReach bytes, or a "nextline" marker ending
// within kMarkerReach bytes before the secret's line, which must itself start within
// kMarkerReach bytes before the secret. Reads O(kMarkerReach) bytes, whatever the line length.
std::string MarkerFor(std::string_view data, size_t start, size_t end) {
  const size_t lo = start > kMarkerReach ? start - kMarkerReach : 0;
  size_t b = start;
  while (b > lo && !IsEol(data[b - 1])) --b;
  const size_t hi = std::min(data.size(), end + kMarkerReach);
  size_t e = end;
  while (e < hi && !IsEol(data[e])) ++e;
  if (auto marker = InlineMarker(data.substr(b, e - b)); !marker.empty()) {
    return "inline marker '" + std::string(marker) + "'";
  }
  if (b == 0 || !IsEol(data[b - 1])) return {};  // the line starts too far before the secret
  size_t prev_end = b - 1;                       // the previous line's end; \r\n counts as one
  if (data[prev_end] == '\n' && prev_end > 0 && data[prev_end - 1] == '\r') --prev_end;
  const size_t prev_lo = prev_end > kMarkerReach ? prev_end - kMarkerReach : 0;
  size_t prev_b = prev_end;
  while (prev_b > prev_lo && !IsEol(data[prev_b - 1])) --prev_b;
  if (NextLineMarker(data.substr(prev_b, prev_end - prev_b))) {
    return "inline marker 'pragma: allowlist nextline secret'";
  }
  return {};
}

// The line that holds data[offset] (without its end of line).
std::string_view LineAround(std::string_view data, size_t offset) {
  size_t b = data.find_last_of("\r\n", offset == 0 ? 0 : offset - 1);
  b = (b == std::string_view::npos || offset == 0) ? 0 : b + 1;
  size_t e = data.find_first_of("\r\n", offset);
  if (e == std::string_view::npos) e = data.size();
  return data.substr(b, e - b);
}

// The whole lines that hold data[from, to).
std::string_view LinesOf(std::string_view data, size_t from, size_t to) {
  std::string_view first = LineAround(data, from);
  const size_t begin = static_cast<size_t>(first.data() - data.data());
  size_t end = data.find_first_of("\r\n", to > from ? to - 1 : to);
  if (end == std::string_view::npos) end = data.size();
  return data.substr(begin, end - begin);
}

// The text before a value at `secret_start` on its line, at most kKeyReach bytes: its key
// name (`SENDBIRD_API_TOKEN = `), which a generic rule's match may hold only in part.
std::string_view KeyBefore(std::string_view data, size_t secret_start) {
  size_t b = secret_start > kKeyReach ? secret_start - kKeyReach : 0;
  const size_t nl = data.rfind('\n', secret_start == 0 ? 0 : secret_start - 1);
  if (nl != std::string_view::npos && secret_start > 0 && nl + 1 > b) b = nl + 1;
  return data.substr(b, secret_start - b);
}

}  // namespace

Scanner::Scanner(std::shared_ptr<const Engine> engine) : engine_(std::move(engine)) {
  // One scratch serves every database: a clone of the engine's, which was allocated (grown)
  // for each of them.
  hs_scratch_t* raw = nullptr;
  if (const hs_scratch_t* proto = engine_->prototype_scratch()) {
    if (hs_clone_scratch(proto, &raw) == HS_SUCCESS) scratch_.reset(raw);
  }
  mctx_.reset(pcre2_match_context_create(nullptr));
  pcre2_set_match_limit(mctx_.get(), engine_->options().match_limit);
  jit_stack_.reset(pcre2_jit_stack_create(64 * 1024, 1024 * 1024, nullptr));
  if (jit_stack_) pcre2_jit_stack_assign(mctx_.get(), nullptr, jit_stack_.get());
  intervals_.resize(engine_->rules().rules.size());
  // A keyword the main database does not report starts each scan unknown (KeywordHit).
  const size_t nrules = engine_->rules().rules.size();
  keyword_start_.resize(engine_->keyword_count());
  for (size_t k = 0; k < keyword_start_.size(); ++k) {
    keyword_start_[k] = engine_->keyword_in_database(static_cast<uint32_t>(nrules + k))
                            ? kKeywordAbsent
                            : kKeywordUnknown;
  }
  keyword_hit_ = keyword_start_;
}

bool Scanner::PastDeadline() {
  if (!cut_ && deadline_ && std::chrono::steady_clock::now() >= *deadline_) cut_ = true;
  return cut_;
}

int Scanner::OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
                     unsigned int /*flags*/, void* ctx) {
  auto* self = static_cast<Scanner*>(ctx);
  // A look at the clock every 1024 callbacks: a hostile buffer full of candidates cannot
  // hold the scan past the deadline, and a normal one pays nothing measurable.
  if (self->deadline_ && ++self->callbacks_ % 1024 == 0 && self->PastDeadline()) return 1;
  self->AddHit(id, to);
  return 0;
}

int Scanner::OnMainMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
                         unsigned int /*flags*/, void* ctx) {
  auto* self = static_cast<Scanner*>(ctx);
  if (self->deadline_ && ++self->callbacks_ % 1024 == 0 && self->PastDeadline()) return 1;
  self->hits_.push_back({id, self->window_offset_ + to});
  return 0;
}

void Scanner::AddHit(unsigned int id, unsigned long long to) {
  const size_t nrules = intervals_.size();
  if (id >= nrules) {
    keyword_hit_[id - nrules] = kKeywordPresent;
    return;
  }
  uint32_t w = engine_->compiled(id).max_width;
  size_t width = w == UINT_MAX || w > kUnboundedWindow ? kUnboundedWindow : w;
  size_t start = to > width ? to - width : 0;
  auto& list = intervals_[id];
  if (list.empty()) touched_.push_back(id);
  // Hits arrive in increasing end order, so merging with the last interval is enough.
  if (!list.empty() && start <= list.back().end + 1) {
    list.back().end = std::max<size_t>(list.back().end, to);
    list.back().start = std::min(list.back().start, start);
  } else {
    list.push_back({start, static_cast<size_t>(to)});
  }
}

Status Scanner::HsScan(const hs_database_t* db, std::string_view data, match_event_handler on) {
  if (!db) return Status::Ok();
  if (!scratch_) return Status::Internal("Hyperscan scratch space could not be allocated");
  hs_error_t rc =
      hs_scan(db, data.data(), static_cast<unsigned>(data.size()), 0, scratch_.get(), on, this);
  if (rc == HS_SCAN_TERMINATED && cut_) return Status::Ok();  // the deadline (OnMatch)
  if (rc != HS_SUCCESS) {
    for (uint32_t r : touched_) intervals_[r].clear();
    touched_.clear();
    return Status::Internal("Hyperscan scan failed with code " + std::to_string(rc));
  }
  return Status::Ok();
}

void Scanner::Confirm(size_t rule, std::string_view data, size_t from, size_t to,
                      std::vector<RawMatch>& out) {
  const pcre2_code* code = engine_->Pcre(rule);
  if (!code) return;
  const int group = engine_->rules().rules[rule].secret_group;
  const size_t limit = std::min(data.size(), to + kTrailingSlack);
  Pcre2MatchData md(pcre2_match_data_create_from_pattern(code, nullptr));
  size_t off = from;
  while (off <= limit) {
    if (PastDeadline()) {
      ++given_up_.deadline;  // logged once per buffer, by Scan
      return;
    }
    int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(data.data()), limit, off, 0, md.get(),
                         mctx_.get());
    if (rc < 0) {
      if (rc != PCRE2_ERROR_NOMATCH) {
        if (rc == PCRE2_ERROR_MATCHLIMIT) ++given_up_.match_limit;
        PCRE2_UCHAR buf[128];
        pcre2_get_error_message(rc, buf, sizeof buf);
        spdlog::warn("rule {}: candidate at offset {} given up: PCRE2: {}",
                     engine_->rules().rules[rule].id, off, reinterpret_cast<const char*>(buf));
      }
      return;
    }
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    size_t m_start = ov[0], m_end = ov[1];
    if (m_start > to) return;  // beyond the candidates Hyperscan reported
    // A match that runs into the artificial end of the window may be an artefact of the cut.
    bool cut = m_end == limit && limit < data.size();
    int g = group;
    if (g == rules::Rule::kFirstNonEmptyGroup) {
      g = 0;
      for (int i = 1; i < rc && g == 0; ++i) {
        if (ov[2 * i] != PCRE2_UNSET && ov[2 * i + 1] > ov[2 * i]) g = i;
      }
    }
    if (!cut && rc > g && ov[2 * g] != PCRE2_UNSET) {
      out.push_back({rule, ov[2 * g], ov[2 * g + 1], m_start, m_end});
    }
    off = m_end > m_start ? m_end : m_start + 1;
  }
}

Status Scanner::MainScan(std::string_view data, const HitRecord* base,
                         const std::vector<DeltaCopy>* copies, HitRecord* record) {
  const hs_database_t* db = engine_->database();
  const uint64_t n = data.size();
  hits_.clear();
  auto scan = [&](uint64_t from, uint64_t to) -> Status {
    if (to <= from) return Status::Ok();
    window_offset_ = from;
    Status st = HsScan(db, data.substr(from, to - from), &Scanner::OnMainMatch);
    window_offset_ = 0;
    return st;
  };

  // A hit ending at `end` depends only on data[end - width - 1, end + 1) (a match of at most
  // kReuseWidth bytes, and the byte on each side that \b, ^ and $ look at). So a hit whose end
  // is "covered" (that whole range lies inside one run the delta copies) is a hit of the base at
  // the same place in the run, and every other hit is found by scanning a window around the
  // uncovered ends.
  struct Range {
    uint64_t lo, hi;  // end offsets, inclusive
    const DeltaCopy* run;
  };
  std::vector<Range> covered;
  std::vector<DeltaCopy> runs;
  bool reuse = base && copies && !deadline_ && n > 0;
  if (reuse) {
    for (const DeltaCopy& c : *copies) {
      if (c.length == 0) continue;
      if (c.from + c.length > base->size || c.to + c.length > n ||
          (!runs.empty() && c.to < runs.back().to + runs.back().length)) {
        reuse = false;  // not a delta of this base: scan it all
        break;
      }
      if (!runs.empty() && runs.back().to + runs.back().length == c.to &&
          runs.back().from + runs.back().length == c.from) {
        runs.back().length += c.length;
      } else {
        runs.push_back(c);
      }
    }
  }
  uint64_t window_bytes = 0;
  std::vector<std::pair<uint64_t, uint64_t>> windows;  // [from, to) of the buffer
  if (reuse) {
    for (const DeltaCopy& r : runs) {
      const uint64_t lo = r.to == 0 && r.from == 0 ? 1 : r.to + kReuseWidth + 1;
      const bool at_end = r.to + r.length == n && r.from + r.length == base->size;
      const uint64_t hi = at_end ? n : r.to + r.length - 1;
      if (lo <= hi) covered.push_back({lo, hi, &r});
    }
    uint64_t next = 1;                              // the first end offset not yet accounted for
    auto uncovered = [&](uint64_t a, uint64_t b) {  // ends a..b are not covered
      const uint64_t from = a > kReuseWidth + 1 ? a - kReuseWidth - 1 : 0;
      const uint64_t to = std::min(n, b + 1);
      if (!windows.empty() && from <= windows.back().second) {
        window_bytes -= windows.back().second - windows.back().first;
        windows.back().second = to;
      } else {
        windows.push_back({from, to});
      }
      window_bytes += windows.back().second - windows.back().first;
    };
    for (const Range& c : covered) {
      if (c.lo > next) uncovered(next, c.lo - 1);
      next = c.hi + 1;
    }
    if (next <= n) uncovered(next, n);
    reuse = static_cast<double>(window_bytes) <= kMaxReuseScanShare * static_cast<double>(n);
  }

  const size_t nrules = intervals_.size();
  std::vector<uint32_t> unknown;
  if (!reuse) {
    SG_RETURN_IF_ERROR(scan(0, n));
  } else {
    ++reuse_.buffers;
    reuse_.bytes_skipped += n - window_bytes;
    for (const auto& [from, to] : windows) SG_RETURN_IF_ERROR(scan(from, to));
    // A window's rule hits count only at uncovered ends (the covered ones come from the base,
    // and near a window's edges Hyperscan sees an artificial start or end of the buffer); a
    // keyword is a literal, so each one a window finds is a real occurrence.
    size_t kept = 0;
    auto in_window = [&](uint64_t end) {
      auto it = std::lower_bound(covered.begin(), covered.end(), end,
                                 [](const Range& c, uint64_t e) { return c.hi < e; });
      return it == covered.end() || end < it->lo;
    };
    for (const HitRecord::Hit& h : hits_) {
      if (h.id >= nrules || in_window(h.end)) hits_[kept++] = h;
    }
    hits_.resize(kept);
    for (const Range& c : covered) {
      const uint64_t shift_from = c.run->from, shift_to = c.run->to;
      const uint64_t lo = c.lo - shift_to + shift_from, hi = c.hi - shift_to + shift_from;
      auto it = std::lower_bound(base->hits.begin(), base->hits.end(), lo,
                                 [](const HitRecord::Hit& h, uint64_t e) { return h.end < e; });
      for (; it != base->hits.end() && it->end <= hi; ++it) {
        hits_.push_back({it->id, it->end - shift_from + shift_to});
      }
    }
    // A keyword of the base whose known occurrence the delta did not keep may still occur.
    for (const HitRecord::Hit& h : base->hits) {
      if (h.id >= nrules) unknown.push_back(h.id);
    }
    unknown.insert(unknown.end(), base->unknown_keywords.begin(), base->unknown_keywords.end());
  }

  auto by_end = [](const HitRecord::Hit& a, const HitRecord::Hit& b) {
    return a.end != b.end ? a.end < b.end : a.id < b.id;
  };
  if (!std::is_sorted(hits_.begin(), hits_.end(), by_end)) {
    std::sort(hits_.begin(), hits_.end(), by_end);
  }
  size_t kept = 0;
  for (size_t i = 0; i < hits_.size(); ++i) {
    const HitRecord::Hit h = hits_[i];
    if (kept > 0 && hits_[kept - 1].id == h.id && hits_[kept - 1].end == h.end) continue;
    if (h.id >= nrules && keyword_hit_[h.id - nrules] == kKeywordPresent) continue;  // one each
    AddHit(h.id, h.end);
    hits_[kept++] = h;
  }
  hits_.resize(kept);
  std::vector<uint32_t> still_unknown;
  for (uint32_t id : unknown) {
    uint8_t& state = keyword_hit_[id - nrules];
    if (state == kKeywordAbsent) {
      state = kKeywordUnknown;
      still_unknown.push_back(id);
    }
  }
  if (record && cut_) {
    *record = HitRecord{};  // incomplete: no delta may reuse it
    record_ = nullptr;
  } else if (record) {
    record->hits = hits_;
    record->unknown_keywords = std::move(still_unknown);
    record->size = n;
  }
  return Status::Ok();
}

bool Scanner::KeywordHit(uint32_t id, size_t near_from, size_t near_to) {
  uint8_t& state = keyword_hit_[id - intervals_.size()];
  if (state != kKeywordUnknown) return state == kKeywordPresent;
  const std::string_view keyword = engine_->keyword(id);
  // Near the rule's hits first (its regex usually holds the keyword), then everywhere.
  size_t at = std::string_view::npos;
  if (near_to > near_from) {
    const size_t from = near_from > kKeywordNear ? near_from - kKeywordNear : 0;
    const size_t to = std::min(buffer_.size(), near_to + kKeywordNear);
    at = FindIgnoreCase(buffer_.substr(from, to - from), keyword);
    if (at != std::string_view::npos) at += from;
  }
  if (at == std::string_view::npos) at = FindIgnoreCase(buffer_, keyword);
  const size_t end = at == std::string_view::npos ? 0 : at + keyword.size();
  state = end ? kKeywordPresent : kKeywordAbsent;
  // The answer goes into the record too, so that the deltas of this buffer need not search.
  if (record_) {
    auto& unknown = record_->unknown_keywords;
    unknown.erase(std::remove(unknown.begin(), unknown.end(), id), unknown.end());
    if (end) {
      HitRecord::Hit hit{id, end};
      auto at = std::lower_bound(record_->hits.begin(), record_->hits.end(), hit,
                                 [](const HitRecord::Hit& a, const HitRecord::Hit& b) {
                                   return a.end != b.end ? a.end < b.end : a.id < b.id;
                                 });
      record_->hits.insert(at, hit);
    }
  }
  return state == kKeywordPresent;
}

Result<std::vector<Finding>> Scanner::Scan(std::string_view data, std::string_view path) {
  return ScanReusing(data, path, nullptr, {}, nullptr);
}

Result<std::vector<Finding>> Scanner::ScanReusing(std::string_view data, std::string_view path,
                                                  const HitRecord* base_record,
                                                  const std::vector<DeltaCopy>& copies,
                                                  HitRecord* record) {
  auto found = ScanText(data, path, base_record, &copies, record);
  if (!found.ok()) return found.status();
  // Past the deadline the encoded text is left alone too: the push is queued for drain anyway.
  if (decode_depth_ == 0 && !cut_) AddDecoded(data, path, *found);
  return SelectFindings(std::move(*found));
}

Result<std::vector<Finding>> Scanner::ScanText(std::string_view data, std::string_view path,
                                               const HitRecord* base,
                                               const std::vector<DeltaCopy>* copies,
                                               HitRecord* record) {
  const Engine& eng = *engine_;
  const auto& rules = eng.rules().rules;
  touched_.clear();
  cut_ = false;
  callbacks_ = 0;
  buffer_ = data;
  record_ = decode_depth_ == 0 ? record : nullptr;
  std::copy(keyword_start_.begin(), keyword_start_.end(), keyword_hit_.begin());
  // `near`: where a rule's hits are, so that its keyword is looked for there first.
  auto any_keyword = [&](const std::vector<uint32_t>& ids, Interval near = {0, 0}) {
    for (uint32_t id : ids) {
      if (KeywordHit(id, near.start, near.end)) return true;
    }
    return false;
  };
  auto keyword_ok = [&](size_t r, Interval near = {0, 0}) {
    const auto& ids = eng.compiled(r).keyword_ids;
    return ids.empty() || any_keyword(ids, near);
  };
  SG_RETURN_IF_ERROR(MainScan(data, decode_depth_ == 0 ? base : nullptr, copies, record));
  // Second pass: the rules Hyperscan cannot anchor, only where their keywords occur; and the
  // rules too wide for the main database (a group without keywords), everywhere.
  for (const auto& g : eng.groups()) {
    if (!cut_ && g.db && (g.keyword_ids.empty() || any_keyword(g.keyword_ids))) {
      SG_RETURN_IF_ERROR(HsScan(g.db.get(), data));
    }
  }

  std::vector<RawMatch> raw;
  const size_t given_up_before = given_up_.deadline;
  auto confirm = [&](size_t r, size_t from, size_t to) {
    if (cut_ || PastDeadline()) {
      ++given_up_.deadline;
    } else {
      Confirm(r, data, from, to, raw);
    }
  };
  for (uint32_t r : touched_) {
    if (keyword_ok(r, {intervals_[r].front().start, intervals_[r].back().end})) {
      for (const Interval& iv : intervals_[r]) confirm(r, iv.start, iv.end);
    }
    intervals_[r].clear();
  }
  for (uint32_t r : eng.pcre_only_rules()) {
    if (keyword_ok(r)) confirm(r, 0, data.size());
  }
  if (cut_) {
    spdlog::warn("deadline reached inside a {}-byte buffer: {} candidate(s) left unconfirmed",
                 data.size(), given_up_.deadline - given_up_before);
  }
  if (raw.empty()) return std::vector<Finding>{};

  // Overlapping windows can confirm the same match twice.
  std::sort(raw.begin(), raw.end(), [](const RawMatch& a, const RawMatch& b) {
    return a.start != b.start ? a.start < b.start : a.rule < b.rule;
  });
  raw.erase(std::unique(raw.begin(), raw.end(),
                        [](const RawMatch& a, const RawMatch& b) {
                          return a.rule == b.rule && a.start == b.start && a.end == b.end;
                        }),
            raw.end());

  std::vector<Finding> found;
  LineIndex lines(data);
  for (const RawMatch& m : raw) {
    const rules::Rule& rule = rules[m.rule];
    std::string_view secret = data.substr(m.start, m.end - m.start);
    if (secret.empty() || !PassesFilters(m, data, path)) continue;
    Finding f;
    f.rule = &rule;
    f.start = m.start;
    f.end = m.end;
    f.secret = std::string(secret);
    std::tie(f.start_line, f.start_column) = lines.At(m.start);
    std::tie(f.end_line, f.end_column) = lines.At(m.end - 1);
    f.suppressed_by = MarkerFor(data, m.start, m.end);
    found.push_back(std::move(f));
  }

  return found;
}

void Scanner::AddDecoded(std::string_view data, std::string_view path,
                         std::vector<Finding>& found) {
  std::vector<EncodedText> encoded = FindEncoded(data);
  if (encoded.empty()) return;
  LineIndex lines(data);  // `encoded` is in increasing order
  bool added = false;
  for (const EncodedText& e : encoded) {
    ++decode_depth_;
    auto inner = Scan(e.text, path);
    --decode_depth_;
    if (!inner.ok()) continue;
    for (Finding& f : *inner) {
      if (f.end <= e.value_offset) continue;  // inside the key name put before the value
      if (!e.kubernetes && f.rule->provider == "generic") continue;
      f.start = e.start;
      f.end = e.end;
      f.encoding = "base64";
      std::tie(f.start_line, f.start_column) = lines.At(e.start);
      std::tie(f.end_line, f.end_column) = lines.At(e.end - 1);
      f.suppressed_by = MarkerFor(data, e.start, e.end);
      found.push_back(std::move(f));
      added = true;
    }
  }
  if (added) {
    std::stable_sort(found.begin(), found.end(),
                     [](const Finding& a, const Finding& b) { return a.start < b.start; });
  }
}

bool Scanner::PassesFilters(const RawMatch& m, std::string_view data, std::string_view path) {
  const Engine& eng = *engine_;
  const rules::Rule& rule = eng.rules().rules[m.rule];
  const std::string_view secret = data.substr(m.start, m.end - m.start);
  // A URL's userinfo is percent-encoded: `pass%40word` is judged as `pass@word`.
  const std::string decoded =
      secret.find('%') != std::string_view::npos ? PercentDecoded(secret) : std::string();
  if (rule.entropy > 0) {
    for (std::string_view s : {secret, std::string_view(decoded)}) {
      if (s.empty()) continue;
      const double e = ShannonEntropy(s);
      if (rule.gitleaks_entropy ? e <= rule.entropy : e < rule.entropy) return false;
    }
  }
  if (rule.require_digit && !HasDigit(secret)) return false;
  if (!PassesValidator(rule.validator, secret)) return false;
  if (rule.placeholder_filter) {
    const bool generic = rule.provider == "generic";
    for (std::string_view s : {secret, std::string_view(decoded)}) {
      if (s.empty()) continue;
      std::string_view why = PlaceholderReason(s, generic);
      // A hash-shaped value under a key that names a provider is that provider's key.
      if (!why.empty() && generic && PlaceholderReason(s, false).empty() &&
          ProviderKeyed(KeyBefore(data, m.start))) {
        why = {};
      }
      if (!why.empty()) return false;
    }
  }
  if (eng.SecretAllowlisted(m.rule, secret)) return false;
  if (!decoded.empty() && eng.SecretAllowlisted(m.rule, decoded)) return false;
  if (!rule.allowlist.match_regexes.empty() || !rule.allowlist.line_regexes.empty()) {
    const std::string_view match = data.substr(m.match_start, m.match_end - m.match_start);
    if (eng.ContextAllowlisted(m.rule, match, LinesOf(data, m.match_start, m.match_end))) {
      return false;
    }
  }
  return !eng.SkipsPath(m.rule, path);
}

bool Scanner::ProviderKeyed(std::string_view key) {
  // `key` is text of the buffer: a keyword starting one of its words is in the buffer.
  for (uint32_t id : engine_->provider_keyword_ids()) {
    if (KeywordStartsWord(key, engine_->keyword(id))) return true;
  }
  return false;
}

std::vector<std::string> CheckExamples(const std::shared_ptr<const Engine>& engine) {
  std::vector<std::string> problems;
  Scanner scanner(engine);
  const auto& rules = engine->rules().rules;
  for (const auto& rule : rules) {
    auto fires = [&](const std::string& text) {
      auto res = scanner.Scan(text);
      if (!res.ok()) return false;
      return std::any_of(res->begin(), res->end(),
                         [&](const Finding& f) { return f.rule->id == rule.id; });
    };
    for (size_t i = 0; i < rule.examples.size(); ++i) {
      if (!fires(rule.examples[i])) {
        problems.push_back(rule.Where() + ": rule " + rule.id + ": example " +
                           std::to_string(i + 1) +
                           " does not match: " + EscapeControl(rule.examples[i].substr(0, 120)));
      }
    }
    for (size_t i = 0; i < rule.negative_examples.size(); ++i) {
      if (fires(rule.negative_examples[i])) {
        problems.push_back(
            rule.Where() + ": rule " + rule.id + ": negative example " + std::to_string(i + 1) +
            " matches but must not: " + EscapeControl(rule.negative_examples[i].substr(0, 120)));
      }
    }
  }
  return problems;
}

}  // namespace sg::scan
