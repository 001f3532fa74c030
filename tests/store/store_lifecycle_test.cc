// Closing, reopening and validating alerts, and every way those can be refused.
#include "store_test_util.h"

namespace sg::store::testing {
namespace {

TEST_CASE("close then reopen then close again keeps every comment in the timeline") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("r", "S1")});
  auto closed = store.Close(1, "false_positive", "just a test key", "bob");
  REQUIRE(closed.ok());
  CHECK(closed->state == "resolved");
  CHECK(closed->resolution == "false_positive");
  CHECK(closed->resolution_comment == "just a test key");
  CHECK(closed->resolved_by == "bob");
  CHECK(closed->resolved_at == "2026-11-22T06:21:52Z");

  auto reopened = store.Reopen(1, "it was real", "carol");
  REQUIRE(reopened.ok());
  CHECK(reopened->state == "open");
  CHECK(reopened->resolution.empty());
  CHECK(reopened->resolution_comment.empty());
  CHECK(reopened->resolved_by.empty());

  auto again = store.Close(1, "revoked", "rotated on Monday", "dave");
  REQUIRE(again.ok());
  CHECK(again->resolution == "revoked");
  CHECK(again->resolution_comment == "rotated on Monday");

  const auto& t = again->timeline;
  REQUIRE(t.size() == 5);
  CHECK(t[2].event == "resolved");
  CHECK(t[2].comment == "just a test key");
  CHECK(t[2].detail == "false_positive");
  CHECK(t[3].event == "reopened");
  CHECK(t[3].comment == "it was real");
  CHECK(t[3].actor == "carol");
  CHECK(t[4].event == "resolved");
  CHECK(t[4].comment == "rotated on Monday");
  // A fresh process sees the same history.
  Store other = OpenOrDie(Options(tmp.path()));
  CHECK(other.Get(1).value() == *again);
}

TEST_CASE("closing with a reason that is not a resolution is invalid and writes nothing") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("r", "S1")});
  const uint64_t size = FileSize(tmp / "journal.jsonl");
  for (const char* bad : {"", "fixed", "will_fix_later", "pattern_deleted", "FALSE_POSITIVE"}) {
    CHECK(store.Close(1, bad, "", "x").status().code() == Code::kInvalid);
  }
  CHECK(FileSize(tmp / "journal.jsonl") == size);
}

TEST_CASE("closing an unknown alert is not found and writes nothing") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("r", "S1")});
  const uint64_t size = FileSize(tmp / "journal.jsonl");
  CHECK(store.Close(2, "revoked", "", "x").status().code() == Code::kNotFound);
  CHECK(store.Close(0, "revoked", "", "x").status().code() == Code::kNotFound);
  CHECK(store.Close(-1, "revoked", "", "x").status().code() == Code::kNotFound);
  CHECK(store.Reopen(9, "", "x").status().code() == Code::kNotFound);
  CHECK(store.SetValidity(9, "active", "x").status().code() == Code::kNotFound);
  CHECK(store.Get(9).status().code() == Code::kNotFound);
  CHECK(FileSize(tmp / "journal.jsonl") == size);
}

TEST_CASE("closing a closed alert is a conflict and keeps the first resolution") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("r", "S1")});
  REQUIRE(store.Close(1, "revoked", "first", "x").ok());
  const uint64_t size = FileSize(tmp / "journal.jsonl");
  auto second = store.Close(1, "false_positive", "second", "y");
  CHECK(second.status().code() == Code::kConflict);
  CHECK(FileSize(tmp / "journal.jsonl") == size);
  CHECK(store.Get(1)->resolution_comment == "first");
}

TEST_CASE("reopening an open alert is a conflict and writes nothing") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("r", "S1")});
  const uint64_t size = FileSize(tmp / "journal.jsonl");
  CHECK(store.Reopen(1, "", "x").status().code() == Code::kConflict);
  CHECK(FileSize(tmp / "journal.jsonl") == size);
}

TEST_CASE("a close decided by another process is seen before deciding") {
  TempDir tmp;
  Store a = OpenOrDie(Options(tmp.path()));
  Store b = OpenOrDie(Options(tmp.path()));
  RecordOrDie(a, {Obs("r", "S1")});
  REQUIRE(b.Close(1, "revoked", "", "b").ok());
  CHECK(a.Close(1, "wont_fix", "", "a").status().code() == Code::kConflict);
  CHECK(RecordOrDie(a, {Obs("r", "S1", "x")})[0].state == "resolved");
}

TEST_CASE("validity changes are recorded as validated events, and only when they change") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("r", "S1")});
  auto a = store.SetValidity(1, "active", "validator");
  REQUIRE(a.ok());
  CHECK(a->validity == "active");
  CHECK(a->timeline.back().event == "validated");
  CHECK(a->timeline.back().detail == "active");
  const uint64_t size = FileSize(tmp / "journal.jsonl");
  CHECK(store.SetValidity(1, "active", "validator").ok());
  CHECK(FileSize(tmp / "journal.jsonl") == size);
  CHECK(store.SetValidity(1, "revoked", "v").status().code() == Code::kInvalid);
  CHECK(FileSize(tmp / "journal.jsonl") == size);
}

TEST_CASE("nothing ever closes an alert on its own") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("r", "S1")});
  for (int i = 0; i < 5; ++i) RecordOrDie(store, {Obs("r", Name("S", i + 2))});
  REQUIRE(store.Compact().ok());
  CHECK(store.Get(1)->state == "open");
}

}  // namespace
}  // namespace sg::store::testing
