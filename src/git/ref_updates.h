// The ref updates git gives a pre-receive hook on stdin.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "git/libgit2.h"
#include "util/status.h"

namespace sg::git {

struct RefUpdate {
  Oid old_oid;
  Oid new_oid;
  std::string ref;
  bool IsCreate() const { return old_oid.IsZero(); }
  bool IsDelete() const { return new_oid.IsZero(); }
};

// Parses "<old-oid> SP <new-oid> SP <refname> LF" lines. A malformed line is an Invalid error
// naming the line number and what is wrong with it.
Result<std::vector<RefUpdate>> ParseRefUpdates(std::string_view input);

}  // namespace sg::git
