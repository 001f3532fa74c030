#include "git/ref_updates.h"

#include "util/text.h"

namespace sg::git {

Result<std::vector<RefUpdate>> ParseRefUpdates(std::string_view input) {
  std::vector<RefUpdate> out;
  int lineno = 0;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto bad = [&](std::string_view why) {
      return Status::Invalid("stdin line " + std::to_string(lineno) + ": " + std::string(why) +
                             " (expected '<old-oid> <new-oid> <refname>', got '" +
                             EscapeControl(line.substr(0, 200)) + "')");
    };
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return bad("fewer than three fields");
    RefUpdate u;
    if (!Oid::FromHex(line.substr(0, sp1), &u.old_oid))
      return bad("old object id is not 40 hex digits");
    if (!Oid::FromHex(line.substr(sp1 + 1, sp2 - sp1 - 1), &u.new_oid)) {
      return bad("new object id is not 40 hex digits");
    }
    u.ref = std::string(line.substr(sp2 + 1));
    if (u.ref.empty() || u.ref.find(' ') != std::string::npos) return bad("bad ref name");
    // Both zero: git's line for deleting a ref that does not exist. It changes nothing and
    // brings nothing: a delete like any other.
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace sg::git
