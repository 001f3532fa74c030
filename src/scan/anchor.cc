#include "scan/anchor.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace sg::scan {
namespace {

using StrSet = std::set<std::string>;
constexpr size_t kMaxSet = 64;  // larger literal sets are not worth tracking
constexpr size_t kMaxLiteral = 64;
constexpr size_t kMaxClass = 6;  // a class of up to this many characters is a small set

// What is known about a piece of regex: `exact`, the finite set of strings it matches (small
// sets only), and `req`, strings one of which every match contains.
struct Info {
  std::optional<StrSet> exact;
  std::optional<StrSet> req;
};

size_t MinLen(const StrSet& s) {
  size_t m = SIZE_MAX;
  for (const auto& x : s) m = std::min(m, x.size());
  return s.empty() ? 0 : m;
}

// Better covers have a longer shortest member, then fewer members.
bool Better(const std::optional<StrSet>& a, const std::optional<StrSet>& b) {
  if (!a) return false;
  if (!b) return true;
  if (MinLen(*a) != MinLen(*b)) return MinLen(*a) > MinLen(*b);
  return a->size() < b->size();
}

std::optional<StrSet> Cross(const StrSet& a, const StrSet& b) {
  if (a.size() * b.size() > kMaxSet) return std::nullopt;
  StrSet out;
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (x.size() + y.size() > kMaxLiteral) return std::nullopt;
      out.insert(x + y);
    }
  }
  return out;
}

Info Char(unsigned char c) {
  StrSet s{std::string(1, static_cast<char>(std::tolower(c)))};
  return {s, s};
}
Info Empty() { return {StrSet{""}, std::nullopt}; }
Info Unknown() { return {std::nullopt, std::nullopt}; }

class Parser {
 public:
  explicit Parser(std::string_view re) : re_(re) {}

  std::optional<Info> Parse() {
    Info i = Alternation();
    if (failed_ || pos_ != re_.size()) return std::nullopt;
    return i;
  }

 private:
  bool At(char c) const { return pos_ < re_.size() && re_[pos_] == c; }

  Info Alternation() {
    std::vector<Info> branches{Sequence()};
    while (!failed_ && At('|')) {
      ++pos_;
      branches.push_back(Sequence());
    }
    if (branches.size() == 1) return branches[0];
    Info out;
    StrSet exact, req;
    bool all_exact = true, all_req = true;
    for (const auto& b : branches) {
      if (b.exact) {
        exact.insert(b.exact->begin(), b.exact->end());
      } else {
        all_exact = false;
      }
      const auto& r = b.req ? b.req : b.exact;
      if (r && MinLen(*r) > 0) {
        req.insert(r->begin(), r->end());
      } else {
        all_req = false;
      }
    }
    if (all_exact && exact.size() <= kMaxSet) out.exact = exact;
    if (all_req && req.size() <= kMaxSet) out.req = req;
    return out;
  }

  Info Sequence() {
    std::optional<StrSet> cur = StrSet{""};  // exact product of the items since the last break
    std::optional<StrSet> best;
    bool all_exact = true;
    auto consider = [&](const std::optional<StrSet>& c) {
      if (c && MinLen(*c) > 0 && Better(c, best)) best = c;
    };
    while (!failed_ && pos_ < re_.size() && !At('|') && !At(')')) {
      Info item = Quantified();
      if (item.exact && cur) {
        if (auto x = Cross(*cur, *item.exact)) {
          cur = x;
          continue;
        }
        consider(cur);
        cur = item.exact;
      } else if (item.exact) {
        cur = item.exact;
      } else {
        all_exact = false;
        consider(cur);
        cur.reset();
        consider(item.req);
      }
    }
    consider(cur);
    Info out;
    if (all_exact) out.exact = cur;
    out.req = best;
    return out;
  }

  Info Quantified() {
    Info atom = Atom();
    if (failed_ || pos_ >= re_.size()) return atom;
    size_t lo = 0, hi = SIZE_MAX;
    char q = re_[pos_];
    if (q == '*') {
      ++pos_;
    } else if (q == '+') {
      ++pos_;
      lo = 1;
    } else if (q == '?') {
      ++pos_;
      hi = 1;
    } else if (q == '{' && Counted(&lo, &hi)) {
    } else {
      return atom;
    }
    if (At('?') || At('+')) ++pos_;  // lazy or possessive: the same strings
    Info out;
    if (lo == 0) {
      if (hi == 1 && atom.exact && atom.exact->size() < kMaxSet) {
        out.exact = atom.exact;
        out.exact->insert("");
      }
      return out;
    }
    out.req = atom.req ? atom.req : atom.exact;
    if (atom.exact && lo == hi && lo <= 8) {
      std::optional<StrSet> p = StrSet{""};
      for (size_t i = 0; i < lo && p; ++i) p = Cross(*p, *atom.exact);
      out.exact = p;
    }
    return out;
  }

  // {n}, {n,}, {n,m}; leaves pos_ alone (a literal '{') when it is not a quantifier.
  bool Counted(size_t* lo, size_t* hi) {
    size_t p = pos_ + 1, a = 0, b = 0;
    bool digits = false;
    while (p < re_.size() && std::isdigit(static_cast<unsigned char>(re_[p]))) {
      a = a * 10 + static_cast<size_t>(re_[p++] - '0');
      digits = true;
    }
    if (!digits) return false;
    b = a;
    if (p < re_.size() && re_[p] == ',') {
      ++p;
      b = SIZE_MAX;
      if (p < re_.size() && std::isdigit(static_cast<unsigned char>(re_[p]))) {
        b = 0;
        while (p < re_.size() && std::isdigit(static_cast<unsigned char>(re_[p]))) {
          b = b * 10 + static_cast<size_t>(re_[p++] - '0');
        }
      }
    }
    if (p >= re_.size() || re_[p] != '}') return false;
    pos_ = p + 1;
    *lo = a;
    *hi = b;
    return true;
  }

  Info Atom() {
    char c = re_[pos_++];
    switch (c) {
      case '.':
        return Unknown();
      case '^':
      case '$':
        return Empty();
      case '[':
        return Class();
      case '(':
        return Group();
      case '\\':
        return Escape();
      case '*':
      case '+':
      case '?':
        failed_ = true;  // a quantifier with nothing before it
        return Unknown();
      default:
        return Char(static_cast<unsigned char>(c));
    }
  }

  Info Group() {
    bool zero_width = false;
    if (At('?')) {
      ++pos_;
      if (At('#')) {  // a comment
        while (pos_ < re_.size() && re_[pos_] != ')') ++pos_;
        if (!At(')')) failed_ = true;
        ++pos_;
        return Empty();
      }
      if (At('=') || At('!')) {
        ++pos_;
        zero_width = true;
      } else if (At('<') && pos_ + 1 < re_.size() &&
                 (re_[pos_ + 1] == '=' || re_[pos_ + 1] == '!')) {
        pos_ += 2;
        zero_width = true;
      } else if (At('<') || At('P') || At('\'')) {  // a named group: (?<n>, (?P<n>, (?'n'
        const char close = At('\'') ? '\'' : '>';
        if (At('P')) ++pos_;
        ++pos_;
        while (pos_ < re_.size() && re_[pos_] != close) ++pos_;
        ++pos_;
      } else if (At(':') || At('>') || At('|')) {
        ++pos_;
      } else {  // inline flags: (?i) or (?i-s:...)
        while (pos_ < re_.size() &&
               (std::isalpha(static_cast<unsigned char>(re_[pos_])) || At('-'))) {
          ++pos_;
        }
        if (At(')')) {
          ++pos_;
          return Empty();
        }
        if (!At(':')) {
          failed_ = true;
          return Unknown();
        }
        ++pos_;
      }
    }
    Info inner = Alternation();
    if (!At(')')) {
      failed_ = true;
      return Unknown();
    }
    ++pos_;
    return zero_width ? Empty() : inner;
  }

  Info Escape() {
    if (pos_ >= re_.size()) {
      failed_ = true;
      return Unknown();
    }
    char c = re_[pos_++];
    switch (c) {
      case 'b':
      case 'B':
      case 'A':
      case 'z':
      case 'Z':
      case 'G':
      case 'K':
        return Empty();
      case 'n':
        return Char('\n');
      case 't':
        return Char('\t');
      case 'r':
        return Char('\r');
      case 'f':
        return Char('\f');
      case 'e':
        return Char(0x1b);
      case 'x': {
        unsigned v = 0;
        if (At('{')) {
          size_t end = re_.find('}', pos_);
          if (end == std::string_view::npos) {
            failed_ = true;
            return Unknown();
          }
          v = static_cast<unsigned>(
              std::stoul(std::string(re_.substr(pos_ + 1, end - pos_ - 1)), nullptr, 16));
          pos_ = end + 1;
          return v < 0x80 ? Char(static_cast<unsigned char>(v)) : Unknown();
        }
        for (int i = 0;
             i < 2 && pos_ < re_.size() && std::isxdigit(static_cast<unsigned char>(re_[pos_]));
             ++i) {
          v = v * 16 + static_cast<unsigned>(std::stoi(std::string(1, re_[pos_++]), nullptr, 16));
        }
        return Char(static_cast<unsigned char>(v));
      }
      case 'Q': {
        size_t end = re_.find("\\E", pos_);
        std::string lit(re_.substr(pos_, end == std::string_view::npos ? end : end - pos_));
        pos_ = end == std::string_view::npos ? re_.size() : end + 2;
        std::transform(lit.begin(), lit.end(), lit.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        StrSet s{lit};
        return {s, lit.empty() ? std::nullopt : std::optional<StrSet>(s)};
      }
      case 'p':
      case 'P':
        if (At('{')) {
          size_t end = re_.find('}', pos_);
          pos_ = end == std::string_view::npos ? re_.size() : end + 1;
        } else {
          ++pos_;
        }
        return Unknown();
      default:
        if (std::isalnum(static_cast<unsigned char>(c))) return Unknown();  // \d \w \s \1 \k ...
        return Char(static_cast<unsigned char>(c));
    }
  }

  // A bracket class: a small set of characters, or unknown.
  Info Class() {
    bool negated = At('^');
    if (negated) ++pos_;
    std::set<char> chars;
    bool big = false;
    bool first = true;
    while (pos_ < re_.size() && (first || re_[pos_] != ']')) {
      first = false;
      unsigned char c = static_cast<unsigned char>(re_[pos_++]);
      if (c == '[' && At(':')) {  // [:alpha:]
        size_t end = re_.find(":]", pos_);
        pos_ = end == std::string_view::npos ? re_.size() : end + 2;
        big = true;
        continue;
      }
      if (c == '\\' && pos_ < re_.size()) {
        char e = re_[pos_++];
        if (std::isalnum(static_cast<unsigned char>(e))) {
          if (e == 'n')
            c = '\n';
          else if (e == 't')
            c = '\t';
          else if (e == 'r')
            c = '\r';
          else {
            big = true;  // \d \w \s \x.. \p..: not tracked
            if (e == 'x' || e == 'p' || e == 'P') {
              if (At('{')) {
                size_t end = re_.find('}', pos_);
                pos_ = end == std::string_view::npos ? re_.size() : end + 1;
              } else {
                pos_ = std::min(re_.size(), pos_ + (e == 'x' ? 2 : 1));
              }
            }
            continue;
          }
        } else {
          c = static_cast<unsigned char>(e);
        }
      }
      if (At('-') && pos_ + 1 < re_.size() && re_[pos_ + 1] != ']') {
        unsigned char hi = static_cast<unsigned char>(re_[pos_ + 1]);
        pos_ += 2;
        if (hi == '\\') {
          big = true;
          ++pos_;
          continue;
        }
        if (hi < c || static_cast<size_t>(hi - c) >= kMaxClass) {
          big = true;
          continue;
        }
        for (unsigned ch = c; ch <= hi; ++ch) chars.insert(static_cast<char>(std::tolower(ch)));
        continue;
      }
      chars.insert(static_cast<char>(std::tolower(c)));
    }
    if (!At(']')) {
      failed_ = true;
      return Unknown();
    }
    ++pos_;
    if (negated || big || chars.size() > kMaxClass) return Unknown();
    StrSet s;
    for (char ch : chars) s.insert(std::string(1, ch));
    return {s, s};
  }

  std::string_view re_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace

std::optional<std::set<std::string>> RequiredLiterals(std::string_view regex) {
  auto info = Parser(regex).Parse();
  if (!info) return std::nullopt;
  std::optional<StrSet> best = info->req;
  if (info->exact && MinLen(*info->exact) > 0 && Better(info->exact, best)) best = info->exact;
  if (best && MinLen(*best) == 0) return std::nullopt;
  return best;
}

bool HyperscanCanAnchor(std::string_view regex) {
  auto info = Parser(regex).Parse();
  if (!info) return true;  // not understood: keep the rule where it always was
  auto lits = RequiredLiterals(regex);
  return lits && lits->size() <= kMaxSet && MinLen(*lits) >= kMinAnchor;
}

}  // namespace sg::scan
