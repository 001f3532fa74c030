// Timings the issue asks for. Skipped by default (they build a 100,000-alert store); run with
//   secretgate_tests --no-skip --test-case='*alerts*takes*'
#include <set>

#include "store_test_util.h"

namespace sg::store::testing {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::vector<Observation> Batch(int first, int count) {
  std::vector<Observation> obs;
  for (int i = first; i < first + count; ++i) {
    obs.push_back(Obs(Name("rule-", i % 40), Name("secret-", i),
                      "src/module" + std::to_string(i % 97) + "/file" + std::to_string(i) + ".py",
                      i % 300 + 1));
  }
  return obs;
}

TEST_CASE("opening a store and recording 50 observations takes a few milliseconds" *
          doctest::skip()) {
  TempDir tmp;
  // Every secret index recorded so far: one alert each (Batch's secrets are distinct by index).
  std::set<int> recorded;
  auto note = [&recorded](int first, int count) {
    for (int i = first; i < first + count; ++i) recorded.insert(i);
  };
  for (int alerts : {0, 1000, 100000}) {
    {
      Store store = OpenOrDie(Options(tmp.path()));
      const int have = static_cast<int>(store.List({})->size());
      for (int i = have; i < alerts; i += 2000) {
        RecordOrDie(store, Batch(i, std::min(2000, alerts - i)));
        note(i, std::min(2000, alerts - i));
      }
    }
    double worst = 0, total = 0;
    constexpr int kRounds = 20;
    for (int round = 0; round < kRounds; ++round) {
      const auto t0 = std::chrono::steady_clock::now();
      Store store = OpenOrDie(Options(tmp.path()));
      // 25 new secrets and 25 already known ones, as a push that re-sends old commits would.
      auto obs = Batch(10000000 + round * 25, 25);
      auto old = Batch(round * 25, 25);
      obs.insert(obs.end(), old.begin(), old.end());
      RecordOrDie(store, obs);
      const double s = Seconds(t0);
      worst = std::max(worst, s);
      total += s;
      note(10000000 + round * 25, 25);
      note(round * 25, 25);
    }
    // What was timed did the work: every observation is an alert, none twice.
    Store store = OpenOrDie(Options(tmp.path()));
    CHECK(store.List({})->size() == recorded.size());
    MESSAGE("store of " << alerts << " alerts: open + record 50 observations: mean "
                        << total / kRounds * 1000 << " ms, worst " << worst * 1000 << " ms");
  }
}

TEST_CASE("listing 100,000 alerts takes well under a second" * doctest::skip()) {
  TempDir tmp;
  {
    Store store = OpenOrDie(Options(tmp.path()));
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 100000; i += 2000) RecordOrDie(store, Batch(i, 2000));
    MESSAGE("recording 100,000 alerts in batches of 2,000: " << Seconds(t0) << " s");
  }
  MESSAGE("journal: " << FileSize(tmp / "journal.jsonl") / 1e6 << " MB");
  {
    const auto t0 = std::chrono::steady_clock::now();
    Store store = OpenOrDie(Options(tmp.path()));
    auto list = store.List({});
    REQUIRE(list->size() == 100000);
    MESSAGE("first list (no snapshot yet: full journal replay, then writes the snapshot): "
            << Seconds(t0) << " s");
  }
  MESSAGE("snapshot: " << FileSize(tmp / "snapshot.bin") / 1e6 << " MB");
  for (int i = 0; i < 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    Store store = OpenOrDie(Options(tmp.path()));
    auto list = store.List({});
    REQUIRE(list->size() == 100000);
    MESSAGE("open + list 100,000 alerts: " << Seconds(t0) << " s");
  }
  {
    const auto t0 = std::chrono::steady_clock::now();
    Store store = OpenOrDie(Options(tmp.path()));
    auto report = store.Verify();
    REQUIRE(report.ok());
    CHECK(report->ok());
    MESSAGE("verify 100,000 alerts: " << Seconds(t0) << " s");
  }
}

}  // namespace
}  // namespace sg::store::testing
