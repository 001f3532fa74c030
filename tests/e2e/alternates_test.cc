// End to end: a fork that borrows objects from a pool (objects/info/alternates, as GitLab and
// Gitea keep forks) is protected like any repository (issue 10, item 10).
#include <doctest/doctest.h>

#include "e2e/git_server.h"

using namespace sg::testing;

TEST_CASE("a commit already in the fork's object pool is scanned when a push makes it reachable") {
  GitServer s;  // server.git is the protected fork
  const std::string pool = s.root() + "/pool.git";
  // The pool holds the upstream history, secret included (it was pushed there unprotected).
  REQUIRE(s.InWork("git init -q --bare " + Quote(pool)).code == 0);
  s.Commit({{"README.md", "upstream\n"}});
  const std::string token = GithubToken(5001);
  s.Commit({{"config/prod.env", "GITHUB_TOKEN=" + token + "\n"}}, "add prod config");
  const std::string secret_commit = s.Head();
  REQUIRE(s.InWork("git push -q " + Quote(pool) + " HEAD:refs/heads/main").code == 0);
  WriteFile(s.bare() + "/objects/info/alternates", pool + "/objects\n");

  // The client sends no object: the fork advertises the pool's, so the push is a pure ref update.
  auto r = s.Push();
  CHECK(r.code != 0);
  CHECK(Contains(r.err, "secretgate: push rejected: 1 secret found"));
  CHECK(Contains(r.err, "config/prod.env:1:14"));
  CHECK(Contains(r.err, secret_commit));
  CHECK(Contains(s.log(), "come from alternates"));
  CHECK(!Contains(s.log(), "objects=0 blobs=0"));
  CHECK(s.InBare("git rev-parse -q --verify refs/heads/main").code != 0);
}

TEST_CASE("a fork's push of commits its own refs already reach scans nothing again") {
  GitServer s;
  const std::string pool = s.root() + "/pool.git";
  REQUIRE(s.InWork("git init -q --bare " + Quote(pool)).code == 0);
  s.Commit({{"README.md", "upstream\n"}});
  REQUIRE(s.InWork("git push -q " + Quote(pool) + " HEAD:refs/heads/main").code == 0);
  WriteFile(s.bare() + "/objects/info/alternates", pool + "/objects\n");
  REQUIRE(s.Push().code == 0);
  auto again = s.Push("HEAD:refs/heads/copy");  // a new branch at a commit the fork has
  CHECK(again.code == 0);
  CHECK(Contains(s.log(), "refs=refs/heads/copy"));
}
