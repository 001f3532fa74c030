#include <doctest/doctest.h>

#include "git/ref_updates.h"

using namespace sg;

TEST_CASE("ref updates parse creation, update and deletion") {
  std::string z(40, '0'), a(40, 'a'), b(40, 'b');
  auto res = git::ParseRefUpdates(z + " " + a + " refs/heads/new\n" + a + " " + b +
                                  " refs/heads/main\n" + b + " " + z + " refs/tags/old\n");
  REQUIRE(res.ok());
  REQUIRE(res->size() == 3);
  CHECK((*res)[0].IsCreate());
  CHECK(!(*res)[1].IsCreate());
  CHECK(!(*res)[1].IsDelete());
  CHECK((*res)[2].IsDelete());
  CHECK((*res)[2].ref == "refs/tags/old");
}

TEST_CASE("a malformed ref update line is a clear error naming the line") {
  std::string a(40, 'a');
  auto res = git::ParseRefUpdates(a + " " + a + " refs/heads/ok\nnot a line\n");
  REQUIRE(!res.ok());
  CHECK(res.status().message().rfind("stdin line 2:", 0) == 0);
  auto short_oid = git::ParseRefUpdates("abc " + a + " refs/heads/x\n");
  CHECK(short_oid.status().message().find("old object id is not 40 hex digits") != std::string::npos);
  auto two = git::ParseRefUpdates(a + " " + a + "\n");
  CHECK(two.status().message().find("fewer than three fields") != std::string::npos);
}
