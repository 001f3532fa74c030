#include "auth/tokens.h"

#include <doctest/doctest.h>

#include "auth/sessions.h"
#include "helpers.h"
#include "util/ct_compare.h"

using namespace sg;
using sg::testing::TempDir;

TEST_CASE(
    "a created token authenticates, is stored only as a hash, and stops working when revoked") {
  TempDir d;
  auto st = auth::TokenStore::Open(d / "server", true);
  REQUIRE(st.ok());
  auto c = (*st)->Create("alice", auth::Role::kTriage, {"acme/*"});
  REQUIRE(c.ok());
  CHECK(c->secret.size() == 4 + 12 + 1 + 64);
  auto who = (*st)->Authenticate(c->secret);
  REQUIRE(who.ok());
  REQUIRE(who->has_value());
  CHECK((*who)->name == "alice");
  CHECK((*who)->AllowsRepo("acme/app"));
  CHECK(!(*who)->AllowsRepo("other/app"));
  CHECK(!(*who)->AllowsRepo("acme/app/x"));
  CHECK(!sg::testing::Contains(sg::testing::ReadFileOrEmpty(d / "server/tokens.json"),
                               c->secret.substr(17)));
  // Another process (a second TokenStore) revokes it; this one notices on the next check.
  auto other = auth::TokenStore::Open(d / "server", false);
  REQUIRE(other.ok());
  REQUIRE((*other)->Revoke(c->token.id).ok());
  CHECK((*other)->Revoke(c->token.id).code() == Code::kConflict);
  CHECK((*other)->Revoke("000000000000").code() == Code::kNotFound);
  CHECK(!(*st)->Authenticate(c->secret)->has_value());
}

TEST_CASE("malformed, unknown and near-miss tokens are refused") {
  TempDir d;
  auto st = auth::TokenStore::Open(d / "server", true);
  REQUIRE(st.ok());
  auto c = (*st)->Create("bob", auth::Role::kRead, {});
  REQUIRE(c.ok());
  CHECK(c->token.repos == std::vector<std::string>{"*/*"});
  for (std::string bad : {std::string(), std::string("sgt_"), c->secret + "x", c->secret.substr(1),
                          "sgt_" + c->token.id + "_" + std::string(64, '0'),
                          "sgt_000000000000_" + c->secret.substr(17)}) {
    CHECK(!(*st)->Authenticate(bad)->has_value());
  }
  CHECK(!(*st)->Create("", auth::Role::kRead, {}).ok());
  CHECK(!(*st)->Create("a b", auth::Role::kRead, {}).ok());
  CHECK(!(*st)->Create("-x", auth::Role::kRead, {}).ok());
}

TEST_CASE("constant-time comparison agrees with ==") {
  CHECK(ConstantTimeEqual("abc", "abc"));
  CHECK(!ConstantTimeEqual("abc", "abd"));
  CHECK(!ConstantTimeEqual("abc", "ab"));
  CHECK(ConstantTimeEqual("", ""));
}

TEST_CASE("sessions expire, are found only by their cookie, and are bounded in number") {
  auth::Sessions s(std::chrono::seconds(3600), 3);
  auto a = s.Create("t1");
  REQUIRE(a.ok());
  CHECK(s.Find(a->cookie)->token_id == "t1");
  CHECK(s.Find(a->cookie)->csrf == a->session.csrf);
  CHECK(!s.Find(std::string(64, '0')));
  for (int i = 0; i < 5; ++i) REQUIRE(s.Create("t" + std::to_string(i)).ok());
  s.Remove(a->cookie);
  CHECK(!s.Find(a->cookie));
  auth::Sessions short_lived(std::chrono::seconds(0));
  auto b = short_lived.Create("t");
  REQUIRE(b.ok());
  CHECK(!short_lived.Find(b->cookie));
}
