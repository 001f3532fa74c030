// Torn tails, damage in the middle, garbage, hand edits and power cuts.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <functional>
#include <random>

#include "store/crypto.h"
#include "store_test_util.h"

namespace sg::store::testing {
namespace {

std::string JournalOf(const TempDir& tmp) { return tmp / "journal.jsonl"; }

// Records three batches (alerts 1, 2, 3) and returns the journal length after each. Unless
// `last_acknowledged`, the story is that of a writer that died during the third append: its
// bytes reached the file, but the stamp still says what the second append left (the stamp is
// written after the fsync that acknowledges an append), so nobody was told it was recorded.
std::vector<uint64_t> ThreeBatches(const TempDir& tmp, bool last_acknowledged = true) {
  Store store = OpenOrDie(Options(tmp.path()));
  std::vector<uint64_t> sizes;
  std::string stamp;
  for (const char* s : {"S1", "S2", "S3"}) {
    if (!last_acknowledged && std::string(s) == "S3") stamp = ReadFileText(tmp / "stamp");
    RecordOrDie(store, {Obs("r", s)});
    sizes.push_back(FileSize(JournalOf(tmp)));
  }
  if (!last_acknowledged) WriteFileText(tmp / "stamp", stamp);
  return sizes;
}

void CheckVerifies(Store& store) {
  auto report = store.Verify();
  REQUIRE_MESSAGE(report.ok(), report.status().message());
  for (const auto& p : report->problems) INFO(p.file << ":" << p.line << ": " << p.reason);
  CHECK(report->ok());
}

TEST_CASE("a torn trailing record is cut back with a warning") {
  TempDir tmp;
  auto sizes = ThreeBatches(tmp, /*last_acknowledged=*/false);
  Truncate(JournalOf(tmp), sizes[1] + 40);  // the third append only partly reached the disk
  LogCapture log;
  Store store = OpenOrDie(Options(tmp.path()));
  REQUIRE(store.repairs().size() == 1);
  CHECK(store.repairs()[0].line == 6);  // header, then two lines per alert
  CHECK(store.repairs()[0].dropped_bytes == 40);
  CHECK(store.repairs()[0].reason.find("partial last line") != std::string::npos);
  CHECK(log.text().find("torn tail") != std::string::npos);
  CHECK(FileSize(JournalOf(tmp)) == sizes[1]);
  CHECK(store.damage().ok());
  CHECK(store.List({})->size() == 2);
  CheckVerifies(store);
  CHECK(RecordOrDie(store, {Obs("r", "S3")})[0].number == 3);
}

TEST_CASE("a bad checksum on the last record of an unacknowledged append is a torn tail") {
  LogCapture quiet;
  TempDir tmp;
  auto sizes = ThreeBatches(tmp, /*last_acknowledged=*/false);
  std::string text = ReadFileText(JournalOf(tmp));
  text[text.size() - 20] ^= 0x01;
  WriteFileText(JournalOf(tmp), text);
  Store store = OpenOrDie(Options(tmp.path()));
  REQUIRE(store.repairs().size() == 1);
  CHECK(store.repairs()[0].reason.find("checksum mismatch") != std::string::npos);
  CHECK(FileSize(JournalOf(tmp)) == sizes[1]);
  CheckVerifies(store);
}

TEST_CASE("an append cut at a line boundary is dropped as a whole") {
  LogCapture quiet;
  TempDir tmp;
  auto sizes = ThreeBatches(tmp, /*last_acknowledged=*/false);
  const std::string text = ReadFileText(JournalOf(tmp));
  const size_t first_line_end = text.find('\n', sizes[1]) + 1;  // "created" without its location
  Truncate(JournalOf(tmp), first_line_end);
  Store store = OpenOrDie(Options(tmp.path()));
  REQUIRE(store.repairs().size() == 1);
  CHECK(store.repairs()[0].reason.find("never finished") != std::string::npos);
  CHECK(store.List({})->size() == 2);
}

TEST_CASE("garbage appended to the journal is cut back") {
  LogCapture quiet;
  TempDir tmp;
  auto sizes = ThreeBatches(tmp, /*last_acknowledged=*/false);
  WriteFileText(JournalOf(tmp), ReadFileText(JournalOf(tmp)) + "garbage\n{\"seq\":7}\n\x01\x02");
  Store store = OpenOrDie(Options(tmp.path()));
  REQUIRE(store.repairs().size() == 1);
  CHECK(FileSize(JournalOf(tmp)) == sizes[2]);
  CHECK(store.List({})->size() == 3);
  CheckVerifies(store);
}

TEST_CASE("zeroed pages at the end after a crash are a torn tail") {
  LogCapture quiet;
  TempDir tmp;
  auto sizes = ThreeBatches(tmp, /*last_acknowledged=*/false);
  std::string text = ReadFileText(JournalOf(tmp));
  // The last append's first bytes never reached the disk but its last line did.
  std::fill(text.begin() + static_cast<long>(sizes[1]),
            text.begin() + static_cast<long>(sizes[1]) + 100, '\0');
  WriteFileText(JournalOf(tmp), text);
  Store store = OpenOrDie(Options(tmp.path()));
  CHECK(store.damage().ok());
  CHECK(store.repairs().size() == 1);
  CHECK(store.List({})->size() == 2);
}

TEST_CASE("a flipped byte in the middle is reported with file and line, and writes are refused") {
  LogCapture quiet;
  TempDir tmp;
  ThreeBatches(tmp);
  WaitForTimestampTick();
  std::string text = ReadFileText(JournalOf(tmp));
  text[LineOffset(text, 3) + 10] ^= 0x20;  // line 3: alert 1's location
  WriteFileText(JournalOf(tmp), text);
  Store store = OpenOrDie(Options(tmp.path()));
  REQUIRE_FALSE(store.damage().ok());
  CHECK(store.damage().code() == Code::kCorruption);
  CHECK(store.damage().message().find("journal.jsonl:3:") != std::string::npos);
  CHECK(store.repairs().empty());

  auto report = store.Verify();
  REQUIRE(report.ok());
  REQUIRE(report->problems.size() == 1);
  CHECK(report->problems[0].file == JournalOf(tmp));
  CHECK(report->problems[0].line == 3);
  CHECK(report->problems[0].reason.find("checksum mismatch") != std::string::npos);

  auto rec = store.Record(std::vector{Obs("r", "S9")}, std::nullopt, "a");
  CHECK(rec.status().code() == Code::kCorruption);
  CHECK(rec.status().message().find("journal.jsonl:3:") != std::string::npos);
  CHECK(store.Close(1, "revoked", "", "a").status().code() == Code::kCorruption);
  // Reads go on with every intact record: alert 1 lost only its location.
  auto list = store.List({});
  REQUIRE(list.ok());
  CHECK(list->size() == 3);
  CHECK(ReadFileText(JournalOf(tmp)) == text);  // nothing cut, nothing written
}

TEST_CASE("damage in the part the derived index covers is found once the stamp does not match") {
  LogCapture quiet;
  TempDir tmp;
  {
    Store store = OpenOrDie(Options(tmp.path()));
    for (int i = 0; i < 30; ++i) RecordOrDie(store, {Obs("r", Name("S", i))});
    REQUIRE(store.Compact().ok());  // index.bin and snapshot.bin now cover every line
  }
  WaitForTimestampTick();
  std::string text = ReadFileText(JournalOf(tmp));
  text[LineOffset(text, 20) + 30] ^= 0x04;
  WriteFileText(JournalOf(tmp), text);
  Store store = OpenOrDie(Options(tmp.path()));
  CHECK(store.damage().message().find("journal.jsonl:20:") != std::string::npos);
  CHECK(store.Record(std::vector{Obs("r", "S1")}, std::nullopt, "a").status().code() ==
        Code::kCorruption);
}

TEST_CASE("a record edited by hand is caught by its checksum") {
  LogCapture quiet;
  TempDir tmp;
  ThreeBatches(tmp);
  WaitForTimestampTick();
  std::string text = ReadFileText(JournalOf(tmp));
  const size_t at = text.find("\"secret_type\":\"r\"");
  REQUIRE(at != std::string::npos);
  text.replace(at, 17, "\"secret_type\":\"q\"");
  WriteFileText(JournalOf(tmp), text);
  Store store = OpenOrDie(Options(tmp.path()));
  CHECK(store.damage().message().find("journal.jsonl:2:") != std::string::npos);
  auto report = store.Verify();
  REQUIRE(report.ok());
  REQUIRE_FALSE(report->problems.empty());
  CHECK(report->problems[0].line == 2);
}

TEST_CASE("a hand edit with a recomputed checksum breaks the hash chain") {
  LogCapture quiet;
  TempDir tmp;
  ThreeBatches(tmp);
  WaitForTimestampTick();
  std::string text = ReadFileText(JournalOf(tmp));
  const size_t start = LineOffset(text, 2), end = text.find('\n', start);
  std::string line = text.substr(start, end - start);
  line.replace(line.find("\"secret_type\":\"r\""), 17, "\"secret_type\":\"q\"");
  const size_t cut = line.rfind(",\"sum\":\"");
  line = line.substr(0, cut) + ",\"sum\":\"" + Sha256Hex(line.substr(0, cut)).substr(0, 32) + "\"}";
  text.replace(start, end - start, line);
  WriteFileText(JournalOf(tmp), text);
  Store store = OpenOrDie(Options(tmp.path()));
  CHECK(store.damage().message().find("journal.jsonl:3:") != std::string::npos);
  auto report = store.Verify();
  REQUIRE(report.ok());
  REQUIRE(report->problems.size() == 1);
  CHECK(report->problems[0].line == 3);
  CHECK(report->problems[0].reason.find("hash chain broken") != std::string::npos);
}

TEST_CASE("a deleted line in the middle is caught by the sequence") {
  LogCapture quiet;
  TempDir tmp;
  ThreeBatches(tmp);
  WaitForTimestampTick();
  std::string text = ReadFileText(JournalOf(tmp));
  const size_t start = LineOffset(text, 4), end = text.find('\n', start) + 1;
  text.erase(start, end - start);
  WriteFileText(JournalOf(tmp), text);
  Store store = OpenOrDie(Options(tmp.path()));
  CHECK(store.damage().message().find("journal.jsonl:4:") != std::string::npos);
  auto report = store.Verify();
  REQUIRE(report.ok());
  CHECK_FALSE(report->ok());
}

TEST_CASE("verify lists every damaged line, not only the first") {
  LogCapture quiet;
  TempDir tmp;
  ThreeBatches(tmp);
  WaitForTimestampTick();
  std::string text = ReadFileText(JournalOf(tmp));
  text[LineOffset(text, 2) + 12] ^= 0x01;
  text[LineOffset(text, 5) + 12] ^= 0x01;
  WriteFileText(JournalOf(tmp), text);
  Store store = OpenOrDie(Options(tmp.path()));
  auto report = store.Verify();
  REQUIRE(report.ok());
  REQUIRE(report->problems.size() == 2);
  CHECK(report->problems[0].line == 2);
  CHECK(report->problems[1].line == 5);
}

TEST_CASE("a journal replaced under an open store is verified again before use") {
  LogCapture quiet;
  TempDir tmp;
  ThreeBatches(tmp);
  Store store = OpenOrDie(Options(tmp.path()));
  std::string text = ReadFileText(JournalOf(tmp));
  text[LineOffset(text, 2) + 12] ^= 0x01;
  const std::string tmpfile = tmp / "edited";
  WriteFileText(tmpfile, text);
  REQUIRE(::rename(tmpfile.c_str(), JournalOf(tmp).c_str()) == 0);  // like sed -i
  CHECK(store.Record(std::vector{Obs("r", "S9")}, std::nullopt, "a").status().code() ==
        Code::kCorruption);
}

TEST_CASE("a power cut that drops unsynced writes loses no acknowledged record") {
  LogCapture quiet;
  TempDir tmp;
  std::mt19937 rng(42);
  int acknowledged = 0;
  for (int trial = 0; trial < 60; ++trial) {
    uint64_t synced = 0;
    std::string stamp;
    {
      Store store = OpenOrDie(Options(tmp.path()));
      CHECK(store.damage().ok());
      // Alert numbers continue right after the acknowledged ones: nothing lost, nothing extra.
      CHECK(RecordOrDie(store, {Obs("r", Name("ack", trial))})[0].number == acknowledged + 1);
      ++acknowledged;
      synced = FileSize(JournalOf(tmp));
      stamp = ReadFileText(tmp / "stamp");
      // This append is written but, in this story, never acknowledged: the power fails first.
      std::vector<Observation> lost;
      for (int i = 0; i < 1 + trial % 4; ++i) {
        lost.push_back(Obs("r", "lost" + std::to_string(trial) + Name("-", i)));
      }
      RecordOrDie(store, lost);
    }
    // ... and so its stamp, written after the fsync that would have acknowledged it, never was.
    WriteFileText(tmp / "stamp", stamp);
    const uint64_t written = FileSize(JournalOf(tmp)) - synced;
    const uint64_t kept = std::uniform_int_distribution<uint64_t>(0, written - 1)(rng);
    Truncate(JournalOf(tmp), synced + kept);
    if (trial % 3 == 0 && kept > 0) {  // some file systems show zeros where data never landed
      std::string text = ReadFileText(JournalOf(tmp));
      const uint64_t from = synced + std::uniform_int_distribution<uint64_t>(0, kept - 1)(rng);
      std::fill(text.begin() + static_cast<long>(from), text.end(), '\0');
      WriteFileText(JournalOf(tmp), text);
    }
  }
  Store store = OpenOrDie(Options(tmp.path()));
  CheckVerifies(store);
  auto list = store.List({});
  REQUIRE(list.ok());
  REQUIRE(list->size() == static_cast<size_t>(acknowledged));
  for (int trial = 0; trial < acknowledged; ++trial) {
    auto a = store.FindBySecret("r", Name("ack", trial));
    REQUIRE(a.ok());
    CHECK(a->has_value());
  }
}

TEST_CASE("damaged or missing derived files are rebuilt from the journal") {
  LogCapture quiet;
  // Each damage is done to a fresh store of 40 alerts; the store must rebuild what it derives
  // and go on recording with the right numbers.
  const std::vector<std::pair<std::string, std::function<void(const TempDir&)>>> damages = {
      {"index flipped",
       [](const TempDir& tmp) {
         std::string ix = ReadFileText(tmp / "index.bin");
         for (size_t i = 200; i < ix.size(); i += 97) ix[i] ^= 0x55;
         WriteFileText(tmp / "index.bin", ix);
       }},
      {"index truncated", [](const TempDir& tmp) { Truncate(tmp / "index.bin", 300); }},
      {"snapshot flipped",
       [](const TempDir& tmp) {
         std::string snap = ReadFileText(tmp / "snapshot.bin");
         snap[snap.size() / 2] ^= 0x01;
         WriteFileText(tmp / "snapshot.bin", snap);
       }},
      {"all derived files gone",
       [](const TempDir& tmp) {
         for (const char* f : {"index.bin", "snapshot.bin", "stamp"})
           std::filesystem::remove(tmp / f);
       }},
  };
  for (const auto& [name, damage] : damages) {
    CAPTURE(name);
    TempDir tmp;
    {
      Store store = OpenOrDie(Options(tmp.path()));
      for (int i = 0; i < 40; ++i) RecordOrDie(store, {Obs("r", Name("S", i))});
      REQUIRE(store.Compact().ok());
    }
    damage(tmp);
    Store store = OpenOrDie(Options(tmp.path()));
    auto out = RecordOrDie(store, {Obs("r", "S7"), Obs("r", "S40")});
    CHECK(out[0] == RecordOutcome{8, false, "open"});
    CHECK(out[1] == RecordOutcome{41, true, "open"});
    CHECK(store.List({})->size() == 41);
    REQUIRE(store.Compact().ok());
    CheckVerifies(store);
  }
}

TEST_CASE("a damaged header makes the store read-only but verifiable") {
  LogCapture quiet;
  TempDir tmp;
  ThreeBatches(tmp);
  WaitForTimestampTick();
  std::string text = ReadFileText(JournalOf(tmp));
  text[20] ^= 0x02;
  WriteFileText(JournalOf(tmp), text);
  Store store = OpenOrDie(Options(tmp.path()));
  CHECK(store.damage().message().find("journal.jsonl:1:") != std::string::npos);
  CHECK(store.Get(1).ok());  // the alerts' own records are intact
  CHECK(store.Record(std::vector{Obs("r", "S9")}, std::nullopt, "a").status().code() ==
        Code::kCorruption);
  auto report = store.Verify();
  REQUIRE(report.ok());
  REQUIRE_FALSE(report->ok());
  CHECK(report->problems[0].line == 1);
  CHECK(FileSize(JournalOf(tmp)) == text.size());
}

TEST_CASE("after a failed write every later write of that store fails") {
  LogCapture quiet;
  TempDir tmp;
  { Store store = OpenOrDie(Options(tmp.path())); }
  const uint64_t before = FileSize(JournalOf(tmp));
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // A file size limit makes the append fail part-way, as a full disk would.
    ::signal(SIGXFSZ, SIG_IGN);
    auto store = Store::Open(Options(tmp.path()));
    if (!store.ok()) ::_exit(2);
    rlimit limit{};
    ::getrlimit(RLIMIT_FSIZE, &limit);
    const rlim_t old_soft = limit.rlim_cur;
    limit.rlim_cur = before + 100;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(3);
    std::vector<Observation> big;
    for (int i = 0; i < 20; ++i) big.push_back(Obs("r", Name("S", i)));
    auto first = store->Record(big, std::nullopt, "a");
    if (first.ok() || first.status().code() != Code::kIOError) ::_exit(4);
    limit.rlim_cur = old_soft;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(5);
    auto second = store->Record(std::vector{Obs("r", "small")}, std::nullopt, "a");
    if (second.ok() || second.status().message().find("no more writes") == std::string::npos) {
      ::_exit(6);
    }
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(FileSize(JournalOf(tmp)) == before + 100);  // the partial append is still there
  Store store = OpenOrDie(Options(tmp.path()));
  CHECK(store.repairs().size() == 1);
  CHECK(FileSize(JournalOf(tmp)) == before);
  CHECK(RecordOrDie(store, {Obs("r", "S1")})[0].number == 1);
  CheckVerifies(store);
}

}  // namespace
}  // namespace sg::store::testing
