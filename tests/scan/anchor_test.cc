#include "scan/anchor.h"

#include <doctest/doctest.h>

namespace sg::scan {

using Set = std::set<std::string>;

TEST_CASE("the literals every match must contain are found through groups, classes and options") {
  CHECK(RequiredLiterals(R"(\b(ghp_[A-Za-z0-9]{36})\b)") == Set{"ghp_"});
  CHECK(RequiredLiterals(R"((?i)\b(AKIA|ASIA)[A-Z0-9]{16})") == Set{"akia", "asia"});
  CHECK(RequiredLiterals(R"(sk-(?:live_)?[a-z]{8})") == Set{"sk-", "sk-live_"});
  CHECK(RequiredLiterals(R"((?i:abbysale)[\s\S]{0,48}?\b([a-f0-9]{32})\b)") == Set{"abbysale"});
  CHECK(RequiredLiterals(R"(-----BEGIN RSA PRIVATE KEY-----)") ==
        Set{"-----begin rsa private key-----"});
  CHECK(RequiredLiterals(R"(xox[bp]-\d+)") == Set{"xoxb-", "xoxp-"});
  CHECK(RequiredLiterals(R"(\Qa.b\E)") == Set{"a.b"});
}

TEST_CASE(
    "a regex without a literal of three bytes cannot be anchored, unknown syntax stays anchored") {
  // kubernetes-bootstrap-token and discord-bot-token: only '.' and [MNO] are literal
  CHECK_FALSE(HyperscanCanAnchor(R"(\b([a-z0-9]{6}\.[a-z0-9]{16})\b)"));
  CHECK_FALSE(HyperscanCanAnchor(
      R"(\b([MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}))"));
  CHECK_FALSE(HyperscanCanAnchor(R"(\b(AC[a-f0-9]{32})\b)"));
  CHECK_FALSE(HyperscanCanAnchor(R"((?:abc)?[0-9]{8})"));  // optional: not required
  CHECK(HyperscanCanAnchor(R"(\b(ghp_[A-Za-z0-9]{36})\b)"));
  CHECK(HyperscanCanAnchor(R"((?i)(?:password|passwd|pwd)\s*[:=]\s*(\S{8,}))"));
  CHECK(HyperscanCanAnchor(R"(a(?R)b)") == HyperscanCanAnchor(R"(a(?R)b)"));  // no crash
  CHECK(HyperscanCanAnchor(R"(((unbalanced)"));  // not understood: kept where it was
}

}  // namespace sg::scan
