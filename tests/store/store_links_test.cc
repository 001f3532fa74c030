// Planted symbolic links cannot redirect a store's writes (issue 10, item 3), and shared stores
// get group modes (item 6).
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "store_test_util.h"

namespace sg::store::testing {
namespace {

namespace fs = std::filesystem;

// A file outside the store that an attacker would like us to overwrite.
struct Victim {
  explicit Victim(const TempDir& tmp) : path(tmp / "victim") { WriteFileText(path, "precious\n"); }
  bool untouched() const { return ReadFileText(path) == "precious\n"; }
  std::string path;
};

TEST_CASE("writes follow no planted symlink: derived files, stamp and temporary names") {
  LogCapture quiet;
  TempDir tmp;
  Victim victim(tmp);
  const std::string store_dir = tmp / "store";
  {
    Store store = OpenOrDie(Options(store_dir));
    RecordOrDie(store, {Obs("r", "S1")});
  }
  // The store's owner replaces every derived file by a link to the victim, and plants links
  // under the temporary names the old code used (NAME.tmp).
  for (const char* name : {"stamp", "index.bin", "snapshot.bin"}) {
    fs::remove(store_dir + "/" + name);
    fs::create_symlink(victim.path, store_dir + "/" + name);
    fs::create_symlink(victim.path, store_dir + "/" + std::string(name) + ".tmp");
  }
  {
    Store store = OpenOrDie(Options(store_dir));
    for (int i = 2; i < 60; ++i) RecordOrDie(store, {Obs("r", Name("S", i))});
    CHECK(store.Compact().ok());
    CHECK(store.List({})->size() == 59);
  }
  CHECK(victim.untouched());
  // The links were replaced by files of the store's own (rename does not follow a link).
  CHECK_FALSE(fs::is_symlink(store_dir + "/index.bin"));
  CHECK(fs::is_regular_file(store_dir + "/index.bin"));
}

TEST_CASE("a symlinked journal, key or lock is refused with a message that says so") {
  LogCapture quiet;
  for (const char* name : {"journal.jsonl", "key", "lock"}) {
    TempDir tmp;
    Victim victim(tmp);
    const std::string store_dir = tmp / "store";
    { Store store = OpenOrDie(Options(store_dir)); }
    fs::remove(store_dir + "/" + name);
    fs::create_symlink(victim.path, store_dir + "/" + name);
    auto st = Store::Open(Options(store_dir));
    if (st.ok()) {
      // A linked journal is damage (missing journal next to its stamp): never written to.
      CHECK(std::string(name) == "journal.jsonl");
      CHECK_FALSE(st->damage().ok());
      CHECK_FALSE(st->Record(std::vector{Obs("r", "S1")}, std::nullopt, "a").ok());
    } else {
      CHECK_MESSAGE(st.status().message().find("symbolic link") != std::string::npos,
                    st.status().message());
    }
    CHECK_MESSAGE(victim.untouched(), name);
  }
}

TEST_CASE("a store directory that is a symlink is refused") {
  LogCapture quiet;
  TempDir tmp;
  fs::create_directory(tmp / "elsewhere");
  fs::create_symlink(tmp / "elsewhere", tmp / "store");
  auto st = Store::Open(Options(tmp / "store"));
  REQUIRE_FALSE(st.ok());
  CHECK(st.status().message().find("symbolic link") != std::string::npos);
  CHECK(fs::is_empty(tmp / "elsewhere"));
}

TEST_CASE("a read-only store writes nothing and reads what is there") {
  LogCapture quiet;
  TempDir tmp;
  OpenOptions o = Options(tmp / "store");
  o.read_only = true;
  {
    Store empty = OpenOrDie(o);  // nothing there yet: reads are empty, nothing is created
    CHECK(empty.List({})->empty());
    CHECK_FALSE(fs::exists(tmp / "store"));
    CHECK(empty.Record(std::vector{Obs("r", "S1")}, std::nullopt, "a").status().code() ==
          Code::kPermission);
  }
  {
    Store w = OpenOrDie(Options(tmp / "store"));
    RecordOrDie(w, {Obs("r", "S1")});
  }
  const std::string before = ReadFileText(tmp / "store/journal.jsonl");
  Store r = OpenOrDie(o);
  CHECK(r.List({})->size() == 1);
  CHECK(r.Close(1, "revoked", "", "a").status().code() == Code::kPermission);
  CHECK(ReadFileText(tmp / "store/journal.jsonl") == before);
}

TEST_CASE("a shared store gets setgid group directories and group-writable files") {
  LogCapture quiet;
  TempDir tmp;
  const gid_t gid = ::getegid();    // a group we are a member of
  const mode_t old = ::umask(077);  // even under a strict umask
  {
    OpenOptions o = Options(tmp / "root");
    o.server_wide = true;
    o.group = static_cast<int>(gid);
    Store store = OpenOrDie(o);
    RecordOrDie(store, {Obs("r", "S1")});
    REQUIRE(store.Compact().ok());
  }
  ::umask(old);
  CHECK(Mode(tmp / "root") == 02770);
  CHECK(Mode(tmp / "root/repos") == 02770);
  CHECK(Mode(tmp / "root/key") == 0640);
  const auto dirs = fs::directory_iterator(tmp / "root/repos");
  const std::string store_dir = fs::begin(dirs)->path().string();
  CHECK(Mode(store_dir) == 02770);
  for (const char* f : {"journal.jsonl", "lock", "index.bin", "snapshot.bin", "stamp"}) {
    CHECK_MESSAGE(Mode(store_dir + "/" + f) == 0660, f);
  }
}

}  // namespace
}  // namespace sg::store::testing
