#include "scan/select.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <tuple>

#include "util/text.h"

namespace sg::scan {
namespace {

// True when a rule with `requires` has its companion's finding close enough.
bool CompanionNear(const Finding& f, const std::vector<Finding>& found) {
  const rules::Companion& comp = *f.rule->requires_companion;
  return std::any_of(found.begin(), found.end(), [&](const Finding& g) {
    return g.rule->id == comp.rule &&
           (comp.within_lines == 0 || std::abs(g.start_line - f.start_line) <= comp.within_lines);
  });
}

// Orders the findings of one span: higher is more specific (see SelectFindings).
std::tuple<int, bool, bool, bool, size_t> Specificity(const Finding& f, size_t index) {
  bool keyword_in_secret = false;
  for (const auto& k : f.rule->keywords) keyword_in_secret |= ContainsIgnoreCase(f.secret, k);
  // Between a finding of encoded text and one of what it decodes to, the decoded one names the
  // real secret (a provider's key inside a Kubernetes Secret, not its base64).
  return {-static_cast<int>(f.rule->confidence), !FormatOnly(*f.rule), !f.encoding.empty(),
          keyword_in_secret, SIZE_MAX - index};
}

}  // namespace

bool FormatOnly(const rules::Rule& rule) {
  return rule.provider == "generic" || rule.provider == "jwt" || rule.provider == "private-key";
}

std::vector<Finding> SelectFindings(std::vector<Finding> found) {
  // 1. Pattern pairs.
  std::vector<Finding> paired;
  paired.reserve(found.size());
  for (Finding& f : found) {
    if (f.rule->requires_companion && !CompanionNear(f, found)) continue;
    paired.push_back(std::move(f));
  }
  // 2. One rule per span. The same bytes claimed by two rules (a JWT that is also a provider's
  // token, a PlanetScale password inside a MySQL URL) are one secret.
  std::vector<bool> keep(paired.size(), true);
  for (size_t i = 0; i < paired.size(); ++i) {
    for (size_t j = 0; j < paired.size() && keep[i]; ++j) {
      const Finding& g = paired[j];
      if (j == i || g.start != paired[i].start || g.end != paired[i].end) continue;
      keep[i] = !(Specificity(g, j) > Specificity(paired[i], i));
    }
  }
  std::vector<Finding> out;
  out.reserve(paired.size());
  for (size_t i = 0; i < paired.size(); ++i) {
    if (keep[i]) out.push_back(std::move(paired[i]));
  }
  return out;
}

}  // namespace sg::scan
