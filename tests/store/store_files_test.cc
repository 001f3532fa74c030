// What lands on disk: modes, the key, secrets at rest, server-wide roots and store discovery.
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "store_test_util.h"

namespace sg::store::testing {
namespace {

namespace fs = std::filesystem;

// Every byte of every file under `dir`.
std::string AllBytes(const std::string& dir) {
  std::string all;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) all += ReadFileText(e.path().string());
  }
  return all;
}

TEST_CASE("store files are 0600 and store directories 0700") {
  TempDir tmp;
  const mode_t old = ::umask(0);  // even under a permissive umask
  {
    OpenOptions o = Options(tmp / "git/secretgate");
    Store store = OpenOrDie(o);
    RecordOrDie(store, {Obs("r", "S1")});
    REQUIRE(store.Compact().ok());
  }
  ::umask(old);
  CHECK(Mode(tmp / "git") == 0700);
  CHECK(Mode(tmp / "git/secretgate") == 0700);
  for (const char* f : {"journal.jsonl", "key", "lock", "index.bin", "snapshot.bin", "stamp"}) {
    CHECK_MESSAGE(Mode(tmp / (std::string("git/secretgate/") + f)) == 0600, f);
  }
}

TEST_CASE("the key is 32 random bytes created once and kept") {
  TempDir tmp;
  std::string key;
  {
    Store store = OpenOrDie(Options(tmp.path()));
    key = ReadFileText(tmp / "key");
  }
  CHECK(key.size() == 32);
  Store again = OpenOrDie(Options(tmp.path()));
  CHECK(ReadFileText(tmp / "key") == key);
  TempDir other;
  Store third = OpenOrDie(Options(other.path()));
  CHECK(ReadFileText(other / "key") != key);
}

TEST_CASE("a key of the wrong size is refused") {
  LogCapture quiet;
  TempDir tmp;
  WriteFileText(tmp / "key", "short");
  auto s = Store::Open(Options(tmp.path()));
  CHECK(s.status().code() == Code::kCorruption);
  CHECK(s.status().message().find("key") != std::string::npos);
}

TEST_CASE("processes creating the key at once agree on one key") {
  TempDir tmp;
  std::vector<pid_t> kids;
  for (int i = 0; i < 8; ++i) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto s = Store::Open(Options(tmp.path()));
      if (!s.ok()) ::_exit(1);
      auto r = s->Record(std::vector{Obs("r", Name("S", i))}, std::nullopt, "k");
      ::_exit(r.ok() ? 0 : 2);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  Store store = OpenOrDie(Options(tmp.path()));
  // Had two keys been used, fingerprints would not match and lookups would miss.
  for (int i = 0; i < 8; ++i) CHECK(store.FindBySecret("r", Name("S", i))->has_value());
  CHECK(store.List({})->size() == 8);
}

TEST_CASE("the plain secret is in no file by default") {
  TempDir tmp;
  const std::string secret = "ghp_PlainSecretValue0123456789abcdef";
  {
    Store store = OpenOrDie(Options(tmp.path()));
    RecordOrDie(store, {Obs("github-pat", secret)});
    REQUIRE(store.Compact().ok());
    CHECK_FALSE(store.Get(1)->secret.has_value());
  }
  CHECK(AllBytes(tmp.path()).find(secret) == std::string::npos);
  CHECK(AllBytes(tmp.path()).find("PlainSecret") == std::string::npos);
}

TEST_CASE("with store_secrets the plain secret is kept on the alert") {
  TempDir tmp;
  const std::string secret = "ghp_PlainSecretValue0123456789abcdef";
  OpenOptions o = Options(tmp.path());
  o.store_secrets = true;
  Store store = OpenOrDie(o);
  RecordOrDie(store, {Obs("github-pat", secret)});
  CHECK(store.Get(1)->secret == secret);
  CHECK(ReadFileText(tmp / "journal.jsonl").find(secret) != std::string::npos);
  CHECK(nlohmann::json::parse(ToJson(store.Get(1).value()))["secret"] == secret);
}

TEST_CASE("the fingerprint is the HMAC of rule and secret under the store key") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("rule-a", "S1")});
  const std::string key = ReadFileText(tmp / "key");
  CHECK(store.Get(1)->fingerprint == Fingerprint(key, "rule-a", "S1"));
  CHECK(Fingerprint(key, "rule-a", "S1") != Fingerprint(key, "rule-a\0S", "1"));
}

TEST_CASE("a server-wide root keeps one journal per repository and one shared key") {
  TempDir tmp;
  OpenOptions a = Options(tmp.path());
  a.server_wide = true;
  a.repository = "team/app";
  OpenOptions b = a;
  b.repository = "team/lib.git";
  Store sa = OpenOrDie(a);
  Store sb = OpenOrDie(b);
  CHECK(RecordOrDie(sa, {Obs("r", "A1"), Obs("r", "A2")})[1].number == 2);
  CHECK(RecordOrDie(sb, {Obs("r", "B1")})[0].number == 1);  // numbers are per repository
  CHECK(RecordOrDie(sb, {Obs("r", "A1")})[0] == RecordOutcome{2, true, "open"});
  CHECK(sa.Get(1)->repository == "team/app");
  CHECK(sb.Get(1)->repository == "team/lib.git");
  CHECK(sa.Get(1)->fingerprint == sb.Get(2)->fingerprint);  // same key, same secret
  CHECK(fs::exists(tmp / "key"));
  CHECK_FALSE(fs::exists(sa.dir() + "/key"));
  CHECK(sa.dir().find(tmp / "repos/team_app-") == 0);
  CHECK(sb.dir().find(tmp / "repos/team_lib.git-") == 0);
  CHECK(sa.dir() != sb.dir());
  CHECK(Mode(tmp / "repos") == 0700);
}

TEST_CASE("a server-wide root needs a repository name") {
  TempDir tmp;
  OpenOptions o = Options(tmp.path());
  o.server_wide = true;
  o.repository.clear();
  CHECK(Store::Open(o).status().code() == Code::kInvalid);
  o.dir.clear();
  o.server_wide = false;
  CHECK(Store::Open(o).status().code() == Code::kInvalid);
}

TEST_CASE("repositories whose names sanitize alike get different directories") {
  TempDir tmp;
  OpenOptions a = Options(tmp.path());
  a.server_wide = true;
  a.repository = "x/y";
  OpenOptions b = a;
  b.repository = "x_y";
  CHECK(OpenOrDie(a).dir() != OpenOrDie(b).dir());
}

TEST_CASE("find stores discovers a server-wide root and bare repositories") {
  TempDir tmp;
  OpenOptions root = Options(tmp / "root");
  root.server_wide = true;
  for (const char* repo : {"one", "two/three"}) {
    root.repository = repo;
    Store s = OpenOrDie(root);
    RecordOrDie(s, {Obs("r", repo)});
  }
  auto found = FindStores(tmp / "root");
  REQUIRE(found.ok());
  REQUIRE(found->size() == 2);
  for (const std::string& dir : *found) {
    auto o = OptionsForStoreDir(dir);
    REQUIRE_MESSAGE(o.ok(), o.status().message());
    CHECK(o->server_wide);
    CHECK(o->dir == tmp / "root");
    Store s = OpenOrDie(*o);
    CHECK(s.dir() == dir);
    CHECK(s.Get(1)->repository == o->repository);
  }

  for (const char* repo : {"hosts/a.git", "hosts/org/b.git", "hosts/c/.git"}) {
    Store s = OpenOrDie(Options(tmp / (std::string(repo) + "/secretgate")));
    RecordOrDie(s, {Obs("r", repo)});
  }
  fs::create_directories(tmp / "hosts/empty.git/objects");
  found = FindStores(tmp / "hosts");
  REQUIRE(found.ok());
  CHECK(*found == std::vector<std::string>{tmp / "hosts/a.git/secretgate",
                                           tmp / "hosts/c/.git/secretgate",
                                           tmp / "hosts/org/b.git/secretgate"});
  auto o = OptionsForStoreDir(tmp / "hosts/a.git/secretgate");
  REQUIRE(o.ok());
  CHECK_FALSE(o->server_wide);
  CHECK(o->repository == "acme/widgets");
  CHECK(FindStores(tmp / "hosts/a.git")->size() == 1);  // a repository itself
  CHECK(FindStores(tmp / "nowhere").status().code() == Code::kNotFound);
}

}  // namespace
}  // namespace sg::store::testing
