#include "git/pack_walk.h"

#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "git/repository.h"
#include "helpers.h"

namespace sg::git {
namespace {

using sg::testing::Quote;
using sg::testing::Sh;

// A repository whose one file is edited many times (so that repack chains deltas), with a
// binary, an annotated tag, a commit added after the repack (loose objects), and `repack_env`
// choosing how deltas name their bases.
void MakeHistory(const std::string& dir, const std::string& repack_cfg) {
  const std::string g = "git -C " + Quote(dir) + " -c user.name=t -c user.email=t@example.invalid ";
  REQUIRE(Sh("git init -q " + Quote(dir)).code == 0);
  std::string text;
  for (int i = 0; i < 400; ++i) text += "line " + std::to_string(i) + " of the original file\n";
  for (int c = 0; c < 40; ++c) {
    text.insert(text.size() / 2, "edit " + std::to_string(c) + " in the middle\n");
    sg::testing::WriteFile(dir + "/file.txt", text);
    sg::testing::WriteFile(dir + "/small_" + std::to_string(c % 5) + ".txt",
                           "v" + std::to_string(c) + "\n");
    REQUIRE(Sh(g + "add -A && " + g + "commit -q -m 'change " + std::to_string(c) + "'").code == 0);
  }
  REQUIRE(Sh("printf 'PNG\\0\\1\\2binary' > " + Quote(dir + "/img.png") + " && " + g +
             "add -A && " + g + "commit -q -m binary && " + g + "tag -a v1 -m 'release one'")
              .code == 0);
  REQUIRE(Sh(g + repack_cfg + " repack -adfq --depth=50 --window=50").code == 0);
  sg::testing::WriteFile(dir + "/late.txt", "added after the repack\n");
  REQUIRE(Sh(g + "add -A && " + g + "commit -q -m late").code == 0);
}

// What libgit2 reads for every blob, commit and tag git lists.
std::map<std::string, std::string> Expected(const std::string& dir) {
  auto list = Sh("git -C " + Quote(dir) +
                 " cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype)'");
  REQUIRE(list.code == 0);
  auto repo = Repository::Open(dir);
  REQUIRE(repo.ok());
  std::map<std::string, std::string> out;
  size_t at = 0;
  while (at < list.out.size()) {
    size_t nl = list.out.find('\n', at);
    std::string line = list.out.substr(at, nl - at);
    at = nl + 1;
    std::string hex = line.substr(0, 40), type = line.substr(41);
    if (type == "tree") continue;
    Oid oid;
    REQUIRE(Oid::FromHex(hex, &oid));
    auto data = repo->ReadRaw(oid);
    REQUIRE(data.ok());
    out[hex] = *data;
  }
  return out;
}

std::map<std::string, std::string> Walk(const std::string& dir, unsigned threads,
                                        size_t max_size = SIZE_MAX, Status* status = nullptr,
                                        std::map<std::string, size_t>* large = nullptr) {
  std::mutex mu;
  std::map<std::string, std::string> got;
  WalkOptions o;
  o.threads = threads;
  o.max_size = max_size;
  Status s = ForEachObject(dir + "/.git/objects", o, [&](unsigned worker, const ObjectView& v) {
    CHECK(worker < threads);
    std::lock_guard<std::mutex> lock(mu);
    CHECK(got.count(v.oid.Hex()) == 0);  // once each
    if (v.too_large) {
      if (large) (*large)[v.oid.Hex()] = v.size;
      got[v.oid.Hex()] = "";
    } else {
      CHECK(v.size == v.data.size());
      got[v.oid.Hex()] = std::string(v.data);
    }
    return Status::Ok();
  });
  if (status) {
    *status = s;
  } else {
    REQUIRE(s.ok());
  }
  return got;
}

}  // namespace

TEST_CASE(
    "every blob, commit and tag of a deltified pack and of loose objects is read once, as libgit2 "
    "reads it") {
  InitLibgit2();
  for (const char* cfg : {"", "-c repack.useDeltaBaseOffset=false"}) {  // OFS and REF deltas
    CAPTURE(cfg);
    sg::testing::TempDir dir;
    MakeHistory(dir.path(), cfg);
    auto depth = Sh("git verify-pack -s " + Quote(dir.path()) + "/.git/objects/pack/*.idx");
    CAPTURE(depth.out);
    REQUIRE(sg::testing::Contains(depth.out, "chain length = 3"));  // deltas of deltas
    const auto expected = Expected(dir.path());
    for (unsigned threads : {1u, 3u}) CHECK(Walk(dir.path(), threads) == expected);
  }
}

TEST_CASE(
    "objects over the size limit are reported with their size and not read, while their smaller "
    "deltas are") {
  InitLibgit2();
  sg::testing::TempDir dir;
  MakeHistory(dir.path(), "");
  const auto expected = Expected(dir.path());
  std::map<std::string, size_t> large;
  const size_t limit = 12000;  // file.txt grows from ~11 KB to ~12 KB over its edits
  auto got = Walk(dir.path(), 2, limit, nullptr, &large);
  REQUIRE(got.size() == expected.size());
  size_t read = 0;
  for (const auto& [hex, data] : expected) {
    if (data.size() > limit) {
      CHECK(large.at(hex) == data.size());
      CHECK(got.at(hex).empty());
    } else {
      ++read;
      CHECK(got.at(hex) == data);
    }
  }
  CHECK(!large.empty());
  CHECK(read > large.size());
}

TEST_CASE("a damaged pack is an error naming the pack, not a silent skip") {
  InitLibgit2();
  sg::testing::TempDir dir;
  MakeHistory(dir.path(), "");
  // Damage the middle of the largest blob stored whole (trees are never read, so a damaged
  // tree would rightly go unnoticed).
  auto v = Sh("git verify-pack -v " + Quote(dir.path()) +
              "/.git/objects/pack/*.idx | awk '$2 == \"blob\" && NF == 5' | sort -k3 -n | tail -1");
  REQUIRE(v.code == 0);
  std::istringstream fields(v.out);
  std::string sha, type;
  size_t size = 0, packed = 0, offset = 0;
  fields >> sha >> type >> size >> packed >> offset;
  REQUIRE(packed > 100);
  auto pack = Sh("ls " + Quote(dir.path()) + "/.git/objects/pack/*.pack");
  std::string path = pack.out.substr(0, pack.out.find('\n'));
  std::string bytes = sg::testing::ReadFileOrEmpty(path);
  for (size_t i = offset + packed / 2; i < offset + packed / 2 + 16; ++i) {
    bytes[i] = static_cast<char>(~bytes[i]);
  }
  Sh("chmod u+w " + Quote(path));
  sg::testing::WriteFile(path, bytes);
  Status s;
  Walk(dir.path(), 2, SIZE_MAX, &s);
  REQUIRE(!s.ok());
  CHECK(sg::testing::Contains(s.message(), ".pack"));
}

TEST_CASE(
    "a delta gets back what the callback left for its base, with the runs it copies from the "
    "base's bytes") {
  InitLibgit2();
  sg::testing::TempDir dir;
  MakeHistory(dir.path(), "");
  std::mutex mu;
  size_t deltas = 0, copied = 0, total = 0;
  WalkOptions o;
  o.threads = 2;
  Status s = ForEachObject(dir / ".git/objects", o, [&](unsigned, const ObjectView& v) {
    // The memo is the object's own bytes: every run must be the base's bytes at `from`.
    if (v.has_deltas) v.memo = std::make_shared<const std::string>(v.data);
    std::lock_guard<std::mutex> lock(mu);
    if (!v.base_memo) {
      CHECK(v.copies == nullptr);
      return Status::Ok();
    }
    const auto& base = *static_cast<const std::string*>(v.base_memo);
    REQUIRE(v.copies != nullptr);
    ++deltas;
    uint64_t last_end = 0;
    for (const CopyRun& c : *v.copies) {
      CHECK(c.to >= last_end);  // in increasing order, not overlapping
      REQUIRE(c.from + c.length <= base.size());
      REQUIRE(c.to + c.length <= v.data.size());
      CHECK(v.data.substr(c.to, c.length) == std::string_view(base).substr(c.from, c.length));
      last_end = c.to + c.length;
      copied += c.length;
    }
    total += v.data.size();
    return Status::Ok();
  });
  REQUIRE(s.ok());
  CHECK(deltas > 30);              // file.txt's 40 versions are chained deltas
  CHECK(copied * 10 > total * 9);  // and they mostly copy their bases
}

}  // namespace sg::git
