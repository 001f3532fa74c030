// End to end: real `git push` into a real bare repository protected by secretgate.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "e2e/git_server.h"

using namespace sg::testing;

namespace {

// The pusher's view of a rejection must never contain the whole secret.
void CheckRejected(const RunResult& r, const std::string& secret) {
  CHECK(r.code != 0);
  CHECK(Contains(r.err, "secretgate: push rejected"));
  CHECK(Contains(r.err, "pre-receive hook declined"));
  CHECK(!Contains(r.err, secret));
  CHECK(Contains(r.err, "Rotate the credential"));
}

}  // namespace

TEST_CASE("a secret in a new branch is rejected with what, where and how to fix") {
  GitServer s;
  std::string token = GithubToken(1);
  s.Commit({{"README.md", "hello\n"}});
  REQUIRE(s.Push().code == 0);
  s.Commit({{"config/app.env", "# settings\nGITHUB_TOKEN=" + token + "\n"}}, "add settings");
  auto r = s.Push("HEAD:refs/heads/feature");
  CheckRejected(r, token);
  CHECK(Contains(r.err, "GitHub"));
  CHECK(Contains(r.err, "config/app.env:2:14"));
  CHECK(Contains(r.err, token.substr(0, 6) + "…(40 chars)"));
  CHECK(Contains(r.err, s.Head()));
  CHECK(Contains(r.err, "git commit --amend"));
  CHECK(s.InBare("git rev-parse --verify -q refs/heads/feature").code != 0);
  CHECK(!Contains(s.log(), token));
}

TEST_CASE("a clean push is accepted and logged with a summary line") {
  GitServer s;
  s.Commit({{"src/main.c", "int main(void) { return 0; }\n"}});
  auto r = s.Push();
  CHECK(r.code == 0);
  CHECK(!Contains(r.err, "secretgate"));
  CHECK(Contains(s.log(), "decision=accepted"));
  CHECK(Contains(s.log(), "quarantine=true"));
}

TEST_CASE("a secret in the middle commit of a three-commit push names that commit and a rebase") {
  GitServer s;
  s.Commit({{"a.txt", "one\n"}});
  REQUIRE(s.Push().code == 0);
  s.Commit({{"b.txt", "two\n"}}, "second");
  std::string token = GithubToken(2);
  s.Commit({{"deploy.sh", "export TOKEN=" + token + "\n"}}, "third");
  std::string middle = s.Head();
  s.Commit({{"c.txt", "four\n"}}, "fourth");
  auto r = s.Push();
  CheckRejected(r, token);
  CHECK(Contains(r.err, "deploy.sh:1:14"));
  CHECK(Contains(r.err, "commit: " + middle));
  CHECK(Contains(r.err, "git rebase -i " + middle + "~1"));
}

TEST_CASE("a force-push that adds a secret is rejected") {
  GitServer s;
  s.Commit({{"a.txt", "one\n"}});
  s.Commit({{"b.txt", "two\n"}});
  REQUIRE(s.Push().code == 0);
  REQUIRE(s.InWork("git reset -q --hard HEAD~1").code == 0);
  std::string token = GithubToken(3);
  s.Commit({{"b.txt", "token: " + token + "\n"}}, "rewrite");
  auto r = s.Push("+HEAD:refs/heads/main");
  CheckRejected(r, token);
  CHECK(Contains(r.err, "b.txt:1:8"));
}

TEST_CASE("a secret in an annotated tag's message is rejected") {
  GitServer s;
  s.Commit({{"a.txt", "one\n"}});
  REQUIRE(s.Push().code == 0);
  std::string token = GithubToken(4);
  REQUIRE(s.InWork("git tag -a v1 -m " + Quote("release\n\ntoken " + token)).code == 0);
  auto r = s.Push("refs/tags/v1");
  CheckRejected(r, token);
  CHECK(Contains(r.err, "tag message"));
}

TEST_CASE("a lightweight tag and a new branch at an existing commit are accepted without scanning") {
  GitServer s;
  s.Commit({{"a.txt", "one\n"}});
  REQUIRE(s.Push().code == 0);
  REQUIRE(s.InWork("git tag v0").code == 0);
  CHECK(s.Push("refs/tags/v0").code == 0);
  CHECK(s.Push("HEAD:refs/heads/other").code == 0);
  CHECK(Contains(s.log(), " refs=refs/heads/other "));
  CHECK(Contains(s.log(), " pusher="));
  CHECK(Contains(s.log(), "objects=0 blobs=0"));
}

TEST_CASE("a secret in a commit message is rejected") {
  GitServer s;
  std::string token = GithubToken(5);
  s.Commit({{"a.txt", "one\n"}}, "use token " + token);
  auto r = s.Push();
  CheckRejected(r, token);
  CHECK(Contains(r.err, "commit message"));
}

TEST_CASE("a secret added then deleted within the same push is still rejected") {
  GitServer s;
  std::string token = GithubToken(6);
  s.Commit({{"keys.txt", token + "\n"}}, "oops");
  std::string added = s.Head();
  s.InWork("git rm -q keys.txt && git commit -q -m remove");
  auto r = s.Push();
  CheckRejected(r, token);
  CHECK(Contains(r.err, "commit: " + added));
}

TEST_CASE("binary blobs and blobs over the size limit are skipped and the skips logged") {
  GitServer s;
  s.SetConfig("max_blob_size = 1000");
  std::string token = GithubToken(7);
  std::string binary = std::string("\x7f" "ELF\0\0\0", 7) + token + std::string(10, '\0');
  s.Commit({{"bin/tool", binary}, {"big.txt", std::string(2000, 'x') + "\n" + token + "\n"}});
  auto r = s.Push();
  CHECK(r.code == 0);
  CHECK(Contains(s.log(), "skipped_binary=1 skipped_large=1"));
  CHECK(Contains(s.log(), ": binary ("));
  CHECK(Contains(s.log(), "is over max_blob_size"));
}

TEST_CASE("a branch deletion is accepted") {
  GitServer s;
  s.Commit({{"a.txt", "one\n"}});
  REQUIRE(s.Push().code == 0);
  REQUIRE(s.Push("HEAD:refs/heads/tmp").code == 0);
  auto r = s.Push(":refs/heads/tmp");
  CHECK(r.code == 0);
  CHECK(s.InBare("git rev-parse --verify -q refs/heads/tmp").code != 0);
}

TEST_CASE("150 files in one push arrive as a pack and the secret among them is found") {
  GitServer s;
  std::map<std::string, std::string> files;
  for (int i = 0; i < 150; ++i) files["src/f" + std::to_string(i) + ".txt"] = "file " + std::to_string(i) + "\n";
  std::string token = GithubToken(8);
  files["src/f77.txt"] = "auth " + token + "\n";
  s.Commit(files);
  auto r = s.Push();
  CheckRejected(r, token);
  CHECK(Contains(r.err, "src/f77.txt:1:6"));
  CHECK(Contains(s.log(), "blobs=150"));
}

TEST_CASE("10 files in one push arrive as loose objects and the secret among them is found") {
  GitServer s;
  std::map<std::string, std::string> files;
  for (int i = 0; i < 10; ++i) files["f" + std::to_string(i) + ".txt"] = "file " + std::to_string(i) + "\n";
  std::string token = GithubToken(9);
  files["f3.txt"] = "auth " + token + "\n";
  s.Commit(files);
  auto r = s.Push();
  CheckRejected(r, token);
  CHECK(Contains(r.err, "f3.txt:1:6"));
}

TEST_CASE("several refs in one push: one bad ref rejects the whole push") {
  GitServer s;
  s.Commit({{"a.txt", "one\n"}});
  REQUIRE(s.Push().code == 0);
  s.InWork("git checkout -q -b clean && git checkout -q -b dirty");
  std::string token = GithubToken(10);
  s.Commit({{"x.env", "T=" + token + "\n"}});
  auto r = s.Push("clean dirty");
  CheckRejected(r, token);
  CHECK(Contains(r.err, "refs/heads/dirty"));
  CHECK(s.InBare("git rev-parse --verify -q refs/heads/clean").code != 0);
}

TEST_CASE("hostile file names are escaped in the pusher's message") {
  GitServer s;
  std::string token = GithubToken(11);
  std::string name = "evil\x1b[31mred\tname.txt";
  s.Commit({{name, "t " + token + "\n"}});
  auto r = s.Push();
  CheckRejected(r, token);
  CHECK(Contains(r.err, "evil\\x1b[31mred\\tname.txt:1:3"));
  CHECK(!Contains(r.err, "\x1b[31m"));
}

TEST_CASE("an existing pre-receive hook is kept, chained and still runs") {
  GitServer s(false);
  WriteFile(s.bare() + "/hooks/pre-receive",
            "#!/bin/sh\ncat > \"$GIT_DIR/chained-input\"\necho chained-ran >&2\n"
            "test ! -e \"$GIT_DIR/deny\"\n");
  REQUIRE(s.InBare("chmod +x hooks/pre-receive").code == 0);
  auto p = s.Sg("protect --repo " + Quote(s.bare()));
  REQUIRE(p.code == 0);
  CHECK(Contains(p.out, "pre-receive.secretgate-chained"));
  s.Commit({{"a.txt", "one\n"}});
  auto r = s.Push();
  CHECK(r.code == 0);
  CHECK(Contains(r.err, "chained-ran"));
  CHECK(Contains(ReadFileOrEmpty(s.bare() + "/chained-input"), "refs/heads/main"));
  WriteFile(s.bare() + "/deny", "");
  s.Commit({{"b.txt", "two\n"}});
  CHECK(s.Push().code != 0);
  // Protecting again is harmless: the chained hook is not replaced by the shim.
  CHECK(s.Sg("protect --repo " + Quote(s.bare())).code == 0);
  CHECK(Contains(ReadFileOrEmpty(s.bare() + "/hooks/pre-receive.secretgate-chained"), "chained-input"));
}

TEST_CASE("an internal error fails open by default and closed when configured") {
  GitServer s;
  s.SetConfig("rules = ['/nonexistent/rules']");
  s.Commit({{"a.txt", "one\n"}});
  auto open = s.Push();
  CHECK(open.code == 0);
  CHECK(Contains(open.err, "internal error"));
  CHECK(Contains(open.err, "/nonexistent/rules"));
  CHECK(Contains(s.log(), "error: internal_error push_id="));
  s.SetConfig("rules = ['/nonexistent/rules']\nfail_mode = 'closed'");
  s.Commit({{"b.txt", "two\n"}});
  auto closed = s.Push();
  CHECK(closed.code != 0);
  CHECK(Contains(closed.err, "fail_mode=closed"));
}

TEST_CASE("a broken config file is an error naming file and line") {
  GitServer s;
  WriteFile(s.config_path(), "mode = 'block'\nmax_blob_size = 'huge'\n");
  s.Commit({{"a.txt", "one\n"}});
  auto r = s.Push();
  CHECK(r.code == 0);  // fail open
  CHECK(Contains(r.err, s.config_path() + ":2: max_blob_size"));
}

TEST_CASE("a malformed stdin line given to the hook by hand is a clear error") {
  GitServer s;
  auto r = Sh(s.Env() + " GIT_DIR=. " + Quote(Binary()) +
                  " pre-receive < /dev/null; printf 'garbage\\n' | " + s.Env() + " GIT_DIR=. " +
                  Quote(Binary()) + " pre-receive",
              s.bare());
  CHECK(Contains(r.err, "stdin line 1: fewer than three fields"));
}

TEST_CASE("without a quarantine the hook falls back to the commits no ref has yet") {
  GitServer s;
  s.Commit({{"a.txt", "one\n"}});
  REQUIRE(s.Push().code == 0);
  std::string token = GithubToken(12);
  s.Commit({{"k.txt", token + "\n"}});
  std::string head = s.Head();
  // Put the objects into the repository without updating any ref, then run the hook by hand.
  REQUIRE(s.InWork("git -C ../server.git fetch -q ../work HEAD:refs/scratch/x && "
                   "git -C ../server.git update-ref -d refs/scratch/x").code == 0);
  std::string old = s.InBare("git rev-parse refs/heads/main").out.substr(0, 40);
  auto r = Sh("printf '%s %s refs/heads/main\\n' " + old + " " + head + " | " + s.Env() +
                  " GIT_DIR=. " + Quote(Binary()) + " pre-receive",
              s.bare());
  CHECK(r.code == 1);
  CHECK(Contains(r.err, "k.txt:1:1"));
  CHECK(Contains(s.log(), "quarantine=false"));
}

TEST_CASE("install into a server-wide hooks folder protects every repository") {
  GitServer s(false);
  std::string sysconf = s.root() + "/gitconfig-system";
  WriteFile(sysconf, "");
  auto p = Sh("export " + s.Env() + " GIT_CONFIG_SYSTEM=" + Quote(sysconf) +
                  "; unset GIT_CONFIG_NOSYSTEM; " + Quote(Binary()) + " protect --hooks-path " +
                  Quote(s.root() + "/global-hooks"),
              s.root());
  REQUIRE_MESSAGE(p.code == 0, p.err);
  CHECK(Contains(ReadFileOrEmpty(sysconf), "hooksPath = " + s.root() + "/global-hooks"));
  // A repository's own hook keeps running under core.hooksPath.
  WriteFile(s.bare() + "/hooks/pre-receive", "#!/bin/sh\necho own-hook-ran >&2\n");
  REQUIRE(s.InBare("chmod +x hooks/pre-receive").code == 0);
  std::string token = GithubToken(13);
  s.Commit({{"a.env", "T=" + token + "\n"}});
  std::string env = "GIT_CONFIG_SYSTEM=" + Quote(sysconf) + " HOME=" + Quote(s.root() + "/home") +
                    " SECRETGATE_CONFIG=" + Quote(s.config_path());
  auto bad = Sh(env + " git push origin HEAD:refs/heads/main", s.work());
  CheckRejected(bad, token);
  s.InWork("git reset -q --hard HEAD~1 2>/dev/null || (git update-ref -d HEAD && git rm -rqf --cached . && rm -f a.env)");
  s.Commit({{"b.txt", "clean\n"}});
  auto good = Sh(env + " git push -f origin HEAD:refs/heads/main", s.work());
  CHECK(good.code == 0);
  CHECK(Contains(good.err, "own-hook-ran"));
}

TEST_CASE("scan of a repository finds secrets in history and in blobs no ref reaches any more") {
  GitServer s;
  std::string old_token = GithubToken(40);
  s.Commit({{"conf/old.env", "T=" + old_token + "\n"}}, "add");
  std::string commit = s.Head();
  s.InWork("git rm -q conf/old.env && git commit -q -m remove");
  std::string dangling = GithubToken(41);
  WriteFile(s.work() + "/d.txt", "T=" + dangling + "\n");
  REQUIRE(s.InWork("git hash-object -w d.txt && rm d.txt").code == 0);
  auto r = s.Sg("scan --no-store --format json " + Quote(s.work()));
  CHECK(r.code == 1);
  auto findings = nlohmann::json::parse(r.out)["findings"];
  REQUIRE(findings.size() == 2);
  bool in_history = false, unreachable = false;
  for (const auto& f : findings) {
    if (f["path"] == "conf/old.env") in_history = f["commit_sha"] == commit && f["start_line"] == 1;
    if (f["path"].is_null()) unreachable = f["commit_sha"].is_null() && f["blob_sha"].is_string();
  }
  CHECK(in_history);
  CHECK(unreachable);
  CHECK(!Contains(r.out, old_token));
  // A plain directory is scanned as files: no commit, no blob.
  WriteFile(s.root() + "/plain/sub/app.env", "x\nT=" + dangling + "\n");
  auto dir = s.Sg("scan --format json " + Quote(s.root() + "/plain"));
  CHECK(dir.code == 1);
  auto files = nlohmann::json::parse(dir.out)["findings"];
  REQUIRE(files.size() == 1);
  CHECK(files[0]["path"] == "sub/app.env");
  CHECK(files[0]["start_line"] == 2);
  CHECK(files[0]["commit_sha"].is_null());
  CHECK(files[0]["blob_sha"].is_null());
  CHECK(s.Sg("scan " + Quote(s.root() + "/nonexistent")).code == 2);
  // The listing starts before the rules load: rules that cannot load still stop the scan.
  auto bad_rules =
      s.Sg("scan --rules " + Quote(s.root() + "/no-rules") + " " + Quote(s.root() + "/plain"));
  CHECK(bad_rules.code == 2);
  CHECK(Contains(bad_rules.err, "rules not found"));
  // A linked worktree, and its git dir (commondir, no objects/ of its own), are repositories.
  REQUIRE(s.InWork("git worktree add -q ../linked").code == 0);
  for (const std::string& repo : {s.root() + "/linked", s.work() + "/.git/worktrees/linked"}) {
    CAPTURE(repo);
    auto wt = s.Sg("scan --no-store --format json " + Quote(repo));
    CHECK(wt.code == 1);
    CHECK(nlohmann::json::parse(wt.out)["findings"].size() == 2);
  }
}
