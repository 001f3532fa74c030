// End to end: two OS users (SSH's `git`, the web server's `www-data`) push to one repository and
// record into one server-wide store, as README's "Shared stores" sets them up (issue 10,
// item 6).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "e2e/git_server.h"

using namespace sg::testing;
using nlohmann::json;

TEST_CASE("two OS users sharing one server-wide store both record, and neither user's push fails") {
  if (!AmRoot()) {
    MESSAGE("needs root to create the OS users (CI runs as root)");
    return;
  }
  EnsureOsUser("sgtest-git", "sgtest-share");
  EnsureOsUser("sgtest-www", "sgtest-share");
  GitServer s;
  const std::string root = s.root() + "/alerts";
  s.SetConfig("store_root = '" + root + "'\nstore_group = 'sgtest-share'");
  s.RunAs("sgtest-git");
  // The documented setup: the repository shared with the group (git's own sharedRepository),
  // and both users trusting repositories they do not own.
  REQUIRE(s.InBare("git config core.sharedRepository group").code == 0);
  REQUIRE(Sh("chgrp -R sgtest-share " + Quote(s.root()) + " && chmod -R g+rwX " + Quote(s.root()) +
             " && find " + Quote(s.root()) + " -type d -exec chmod g+s {} +")
              .code == 0);
  WriteFile(s.root() + "/home/.gitconfig",
            ReadFileOrEmpty(s.root() + "/home/.gitconfig") + "[safe]\n\tdirectory = *\n");
  // Each user pushes from a clone of its own (as over SSH and over HTTP from two laptops).
  auto work = [&](const std::string& user) { return s.root() + "/work-" + user; };
  auto push_as = [&](const std::string& user, unsigned seed, bool secret) {
    const std::string file = user + "-" + std::to_string(seed) + (secret ? ".env" : ".txt");
    const std::string content = secret ? "T=" + GithubToken(seed) : "nothing";
    return ShAs(user,
                "env " + s.Env() + " sh -c " +
                    Quote("git pull -q --rebase origin main 2>/dev/null; "
                          "echo " +
                          content + " > " + file + " && git add " + file + " && git commit -qm " +
                          file + " && git push origin HEAD:main"),
                work(user));
  };
  s.Commit({{"README.md", "shared\n"}});
  REQUIRE(s.Push().code == 0);
  for (const std::string user : {"sgtest-git", "sgtest-www"}) {
    auto c =
        ShAs(user, "env " + s.Env() + " git clone -q " + Quote(s.bare()) + " " + Quote(work(user)),
             s.root());
    REQUIRE_MESSAGE(c.code == 0, c.err);
  }
  int expected = 0;
  for (unsigned i = 1; i <= 3; ++i) {
    for (const std::string user : {"sgtest-git", "sgtest-www"}) {
      auto r = push_as(user, 4000 + i * 10 + (user == "sgtest-www"), true);
      CAPTURE(user);
      CAPTURE(r.err);
      CHECK(Contains(r.err, "secretgate: push rejected: 1 secret found"));
      CHECK(!Contains(r.err, "could not record"));
      CHECK(!Contains(r.err, "internal error"));
      ++expected;
      REQUIRE(ShAs(user, "env " + s.Env() + " git reset -q --hard HEAD~1", work(user)).code == 0);
      auto clean = push_as(user, 4100 + i * 10 + (user == "sgtest-www"), false);
      CHECK_MESSAGE(clean.code == 0, clean.err);
    }
  }
  for (const std::string user : {"sgtest-git", "sgtest-www"}) {
    auto list = ShAs(user, "env " + s.Env() + " " + Quote(Binary()) +
                               " alerts list --format json --repo " + Quote(s.bare()));
    REQUIRE_MESSAGE(list.code == 0, list.err);
    CHECK(json::parse(list.out).size() == static_cast<size_t>(expected));
  }
  auto modes = Sh("stat -c '%a %G' " + Quote(root) + " " + Quote(root + "/key"));
  CHECK(Contains(modes.out, "2770 sgtest-share"));
  CHECK(Contains(modes.out, "640 sgtest-share"));
}
