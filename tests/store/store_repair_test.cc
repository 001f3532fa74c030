// Damage inside the acknowledged part of a journal: never cut, never a reused number, and what
// `store repair` does about it (issue 10, item 2).
#include <dirent.h>

#include <filesystem>

#include "store/crypto.h"
#include "store_test_util.h"

namespace sg::store::testing {
namespace {

std::string JournalOf(const TempDir& tmp) { return tmp / "journal.jsonl"; }

// Alerts 1..n, one append each.
void Record(const TempDir& tmp, int n, int first = 1) {
  Store store = OpenOrDie(Options(tmp.path()));
  for (int i = first; i < first + n; ++i) RecordOrDie(store, {Obs("r", Name("S", i))});
}

// The seq of every record of the journal, in order.
std::vector<int64_t> Seqs(const TempDir& tmp) {
  std::vector<int64_t> out;
  std::istringstream in(ReadFileText(JournalOf(tmp)));
  for (std::string line; std::getline(in, line);) {
    out.push_back(std::stoll(line.substr(7, line.find(',') - 7)));
  }
  return out;
}

std::vector<std::string> DamagedCopies(const TempDir& tmp) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(tmp / "damaged", ec)) {
    out.push_back(e.path().string());
  }
  return out;
}

void CheckVerifies(Store& store) {
  auto report = store.Verify();
  REQUIRE_MESSAGE(report.ok(), report.status().message());
  std::string problems;
  for (const auto& p : report->problems)
    problems += p.file + ":" + std::to_string(p.line) + ": " + p.reason + "\n";
  CHECK_MESSAGE(report->ok(), problems);
}

void Flip(const std::string& path, size_t at) {
  std::string text = ReadFileText(path);
  text[at] ^= 0x01;
  WriteFileText(path, text);
}

TEST_CASE("one damaged byte in the last acknowledged record is corruption, not a torn tail") {
  LogCapture quiet;
  TempDir tmp;
  Record(tmp, 3);
  WaitForTimestampTick();
  const std::string before = ReadFileText(JournalOf(tmp));
  Flip(JournalOf(tmp), before.size() - 20);  // line 7: alert 3's location, acknowledged
  const std::string damaged = ReadFileText(JournalOf(tmp));

  Store store = OpenOrDie(Options(tmp.path()));
  REQUIRE_FALSE(store.damage().ok());
  CHECK(store.damage().message().find("journal.jsonl:7:") != std::string::npos);
  CHECK(store.repairs().empty());
  CHECK(ReadFileText(JournalOf(tmp)) == damaged);  // nothing cut back

  auto report = store.Verify();
  REQUIRE(report.ok());
  REQUIRE(report->problems.size() == 1);
  CHECK(report->problems[0].line == 7);
  CHECK(report->problems[0].reason.find("checksum mismatch") != std::string::npos);

  // Reads show every intact record (alert 3 without the location that was damaged); writes are
  // refused, so no number is handed out while the store is damaged.
  auto list = store.List({});
  REQUIRE(list.ok());
  CHECK(list->size() == 3);
  CHECK(store.Record(std::vector{Obs("r", "S4")}, std::nullopt, "a").status().code() ==
        Code::kCorruption);
  CHECK(ReadFileText(JournalOf(tmp)) == damaged);
}

TEST_CASE("store repair keeps the damaged bytes and never reuses an alert number or a seq") {
  LogCapture quiet;
  TempDir tmp;
  Record(tmp, 3);
  const std::vector<int64_t> seqs_before = Seqs(tmp);
  WaitForTimestampTick();
  std::string text = ReadFileText(JournalOf(tmp));
  const size_t line6 = LineOffset(text, 6);  // alert 3's created record
  text[line6 + 30] ^= 0x01;
  WriteFileText(JournalOf(tmp), text);
  const std::string tail = text.substr(line6);

  Store store = OpenOrDie(Options(tmp.path()));
  REQUIRE_FALSE(store.damage().ok());
  auto rep = store.Repair("admin");
  REQUIRE_MESSAGE(rep.ok(), rep.status().message());
  CHECK(rep->repaired);
  CHECK(rep->damaged_line == 6);
  CHECK(rep->lost_alerts == 1);  // alert 3's created record was the damaged one
  REQUIRE(DamagedCopies(tmp).size() == 1);
  CHECK(ReadFileText(DamagedCopies(tmp)[0]) == tail);  // the damaged bytes, kept verbatim
  CHECK(store.damage().ok());
  CHECK(ReadFileText(JournalOf(tmp)).substr(0, line6) == text.substr(0, line6));

  auto lost = store.Get(3);
  REQUIRE(lost.ok());
  CHECK(lost->state == "open");  // a lost alert stays open: a person decides
  CHECK(lost->secret_type == "unknown");
  CHECK(lost->secret_type_display_name.find("damaged") != std::string::npos);

  // The next alert is 4, and every new seq lies beyond the ones acknowledged before.
  CHECK(RecordOrDie(store, {Obs("r", "S4")})[0].number == 4);
  const std::vector<int64_t> after = Seqs(tmp);
  REQUIRE(after.size() > 5);
  for (size_t i = 5; i < after.size(); ++i) CHECK(after[i] > seqs_before.back());
  CheckVerifies(store);

  // Opening again (derived files rebuilt) sees the same.
  Store again = OpenOrDie(Options(tmp.path()));
  CHECK(again.damage().ok());
  CHECK(again.List({})->size() == 4);
  CHECK(RecordOrDie(again, {Obs("r", "S5")})[0].number == 5);
}

TEST_CASE("records intact after the damage come back after repair, flagged restored") {
  LogCapture quiet;
  TempDir tmp;
  Record(tmp, 4);
  WaitForTimestampTick();
  std::string text = ReadFileText(JournalOf(tmp));
  text[LineOffset(text, 3) + 10] ^= 0x01;  // alert 1's location; alerts 2..4 follow intact
  WriteFileText(JournalOf(tmp), text);
  Store store = OpenOrDie(Options(tmp.path()));
  auto rep = store.Repair("admin");
  REQUIRE(rep.ok());
  CHECK(rep->lost_alerts == 0);
  CHECK(rep->kept_records == 7);  // alert 1 created (its append lost a line), alerts 2-4 whole
  auto list = store.List({});
  REQUIRE(list->size() == 4);
  CHECK((*list)[0].locations.empty());      // lost with the damaged line
  CHECK((*list)[3].locations.size() == 1);  // came back
  CHECK(ReadFileText(JournalOf(tmp)).find("\"restored\":true") != std::string::npos);
  CHECK(RecordOrDie(store, {Obs("r", "S2")})[0].number == 2);  // still known: not a new alert
  CHECK(RecordOrDie(store, {Obs("r", "S5")})[0].number == 5);
  CheckVerifies(store);
}

TEST_CASE(
    "a journal cut short inside its acknowledged part is damage, and repair keeps every number") {
  LogCapture quiet;
  TempDir tmp;
  Record(tmp, 3);
  WaitForTimestampTick();
  const std::string text = ReadFileText(JournalOf(tmp));
  Truncate(JournalOf(tmp), LineOffset(text, 6));  // alert 3's append vanished
  Store store = OpenOrDie(Options(tmp.path()));
  REQUIRE_FALSE(store.damage().ok());
  CHECK(store.damage().message().find("acknowledged") != std::string::npos);
  CHECK(FileSize(JournalOf(tmp)) == LineOffset(text, 6));
  auto rep = store.Repair("admin");
  REQUIRE(rep.ok());
  CHECK(rep->lost_alerts == 1);
  CHECK(RecordOrDie(store, {Obs("r", "S9")})[0].number == 4);
}

TEST_CASE("a missing journal next to a snapshot is damage, not a new empty store") {
  LogCapture quiet;
  TempDir tmp;
  {
    Store store = OpenOrDie(Options(tmp.path()));
    for (int i = 1; i <= 40; ++i) RecordOrDie(store, {Obs("r", Name("S", i))});
    REQUIRE(store.Close(7, "revoked", "rotated", "bob").ok());
    REQUIRE(store.Compact().ok());
  }
  const std::string snapshot = ReadFileText(tmp / "snapshot.bin");
  REQUIRE(::unlink(JournalOf(tmp).c_str()) == 0);

  Store store = OpenOrDie(Options(tmp.path()));
  REQUIRE_FALSE(store.damage().ok());
  CHECK(store.damage().message().find("missing") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(JournalOf(tmp)));   // not recreated empty
  CHECK(ReadFileText(tmp / "snapshot.bin") == snapshot);  // not deleted
  CHECK(std::filesystem::exists(tmp / "index.bin"));
  auto list = store.List({});  // reads come from the snapshot
  REQUIRE(list.ok());
  CHECK(list->size() == 40);
  CHECK(store.Record(std::vector{Obs("r", "S41")}, std::nullopt, "a").status().code() ==
        Code::kCorruption);
  auto verify = store.Verify();
  REQUIRE(verify.ok());
  CHECK_FALSE(verify->ok());

  auto rep = store.Repair("admin");
  REQUIRE_MESSAGE(rep.ok(), rep.status().message());
  CHECK(rep->repaired);
  auto rebuilt = store.List({});
  REQUIRE(rebuilt->size() == 40);
  CHECK((*rebuilt)[6].state == "resolved");
  CHECK((*rebuilt)[6].resolution_comment == "rotated");
  CHECK(RecordOrDie(store, {Obs("r", "S3")})[0].number == 3);  // known secret, known alert
  CHECK(RecordOrDie(store, {Obs("r", "S41")})[0].number == 41);
  CheckVerifies(store);
}

TEST_CASE("repair on a sound store writes nothing") {
  LogCapture quiet;
  TempDir tmp;
  Record(tmp, 2);
  const std::string text = ReadFileText(JournalOf(tmp));
  Store store = OpenOrDie(Options(tmp.path()));
  auto rep = store.Repair("admin");
  REQUIRE(rep.ok());
  CHECK_FALSE(rep->repaired);
  CHECK(ReadFileText(JournalOf(tmp)) == text);
  CHECK(DamagedCopies(tmp).empty());
}

}  // namespace
}  // namespace sg::store::testing
