// Directory scans (ScanPath) on real trees: what is listed, what is read (by the listing's
// read-ahead or by a scanner) and what is skipped.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "helpers.h"
#include "inspect/history.h"
#include "rules/loader.h"

using namespace sg;
using sg::testing::RandomChars;
using sg::testing::TempDir;
using sg::testing::WriteFile;

namespace {

const std::string kAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::shared_ptr<const scan::Engine> TestEngine() {
  auto loaded = rules::LoadRules({sg::testing::SourceDir() + "/tests/data/rules/basic.toml"});
  REQUIRE(loaded.ok());
  auto e = scan::Engine::Build(std::move(loaded.set), scan::EngineOptions{});
  REQUIRE(e.ok());
  return *e;
}

std::string Token(unsigned seed) { return "tok_" + RandomChars(seed, 20, kAlnum); }

// path -> the secrets found in it.
std::map<std::string, std::multiset<std::string>> Found(const inspect::ScanResult& r) {
  std::map<std::string, std::multiset<std::string>> out;
  for (const auto& d : r.detections) out[d.origins.at(0).path].insert(d.finding.secret);
  return out;
}

// A tree with everything a directory scan meets: nesting, hostile names, a .git directory,
// links out of the tree, a FIFO, binary, empty, large and over-limit files. `want` gets the
// findings a scan must report.
void MakeTree(const std::string& root, std::map<std::string, std::multiset<std::string>>& want) {
  namespace fs = std::filesystem;
  unsigned seed = 100;
  auto put = [&](const std::string& rel, const std::string& content) {
    fs::create_directories(fs::path(root + "/" + rel).parent_path());
    WriteFile(root + "/" + rel, content);
  };
  // 300 small files in nested directories, one token each (some with two).
  for (unsigned i = 0; i < 300; ++i) {
    std::string rel = "d" + std::to_string(i % 7) + "/e" + std::to_string(i % 3) + "/f" +
                      std::to_string(i) + ".txt";
    std::string t = Token(seed++);
    std::string content = std::string(i * 13 % 4000, 'x') + "\nkey = " + t + "\n";
    want[rel].insert(t);
    if (i % 50 == 0) {
      std::string t2 = Token(seed++);
      content += "other = " + t2 + "\n";
      want[rel].insert(t2);
    }
    put(rel, content);
  }
  // Deep nesting.
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "n" + std::to_string(i) + "/";
  std::string t = Token(seed++);
  put(deep + "deep.cfg", "t=" + t + "\n");
  want[deep + "deep.cfg"].insert(t);
  // Hostile names: a newline, a leading dash, a backslash, spaces, a byte that is not UTF-8.
  for (std::string name : {std::string("new\nline.txt"), std::string("-rf"),
                           std::string("back\\slash"), std::string("sp ace s"),
                           std::string("bad\xff"
                                       "byte")}) {
    t = Token(seed++);
    put("hostile/" + name, "v: " + t + "\n");
    want["hostile/" + name].insert(t);
  }
  // Larger than the read-ahead takes (1 MiB), with the token at its end.
  t = Token(seed++);
  put("big/large.log", std::string((1 << 20) + 4096, 'y') + "\n" + t + "\n");
  want["big/large.log"].insert(t);
  // Not scanned: .git (at any depth), binary, over max_blob_size (set to 2 MiB below).
  put(".git/config.txt", Token(seed++) + "\n");
  put("d1/.git/packed.txt", Token(seed++) + "\n");
  put("bin/blob.bin", std::string("\0\1\2", 3) + Token(seed++) + "\n");
  put("big/huge.log", std::string(3 << 20, 'z') + "\n" + Token(seed++) + "\n");
  put("empty.txt", "");
  // Links out of the tree are not followed, a FIFO is neither read nor waited on.
  TempDir outside;
  WriteFile(outside / "target.txt", Token(seed++) + "\n");
  REQUIRE(::symlink((outside / "target.txt").c_str(), (root + "/link.txt").c_str()) == 0);
  REQUIRE(::symlink(outside.path().c_str(), (root + "/linkdir").c_str()) == 0);
  REQUIRE(::mkfifo((root + "/fifo").c_str(), 0600) == 0);
}

}  // namespace

TEST_CASE("a directory scan finds every file's secrets, whether the listing read it ahead or not") {
  TempDir tree;
  std::map<std::string, std::multiset<std::string>> want;
  MakeTree(tree.path(), want);
  auto engine = TestEngine();
  inspect::ScanOptions options;
  options.max_blob_size = 2 << 20;

  // Scanned at once: the scanners read most files themselves.
  auto direct = inspect::ScanPath(tree.path(), engine, options);
  REQUIRE(direct.ok());
  CHECK(Found(*direct) == want);

  // After the whole listing: the listing has read every small file ahead.
  inspect::PathListing listing(tree.path() + "/");
  listing.WaitListed();
  auto ahead = inspect::ScanPath(listing, engine, options);
  REQUIRE(ahead.ok());
  CHECK(Found(*ahead) == want);
  for (const auto* r : {&*direct, &*ahead}) {
    CHECK(r->stats.objects == 300 + 1 + 5 + 1 + 3);  // + binary, huge and empty
    CHECK(r->stats.skipped_binary == 1);
    CHECK(r->stats.skipped_large == 1);
  }
  CHECK(direct->stats.bytes_scanned == ahead->stats.bytes_scanned);

  // max_blob_size holds for the files read ahead as well.
  options.max_blob_size = 100;
  inspect::PathListing small(tree.path());
  small.WaitListed();
  auto limited = inspect::ScanPath(small, engine, options);
  REQUIRE(limited.ok());
  for (const auto& [path, secrets] : Found(*limited)) {
    CAPTURE(path);
    CHECK(std::filesystem::file_size(tree.path() + "/" + path) <= 100);
  }
  CHECK(limited->stats.skipped_large > 250);

  // A listing is scanned once.
  CHECK(!inspect::ScanPath(listing, engine, options).ok());
}

TEST_CASE("a directory scan of a file, of nothing, or of a FIFO says what it got") {
  TempDir dir;
  auto engine = TestEngine();
  const std::string t = Token(7);
  WriteFile(dir / "one.env", "T=" + t + "\n");
  auto file = inspect::ScanPath(dir / "one.env", engine, {});
  REQUIRE(file.ok());
  REQUIRE(file->detections.size() == 1);
  CHECK(file->detections[0].origins[0].path == dir / "one.env");

  auto missing = inspect::ScanPath(dir / "missing", engine, {});
  REQUIRE(!missing.ok());
  CHECK(missing.status().message().find("no such file or directory") != std::string::npos);

  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  auto fifo = inspect::ScanPath(dir / "fifo", engine, {});
  REQUIRE(!fifo.ok());
  CHECK(fifo.status().message().find("neither a file nor a directory") != std::string::npos);
}
