#include "notify/notifier.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <limits>

#include "notify/http.h"
#include "notify/partner_delivery.h"
#include "notify/partner_outbox.h"
#include "notify/state.h"
#include "store/outbox.h"
#include "util/text.h"

namespace sg::notify {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowSeconds(const RunOptions& o) {
  return o.now ? o.now() : static_cast<int64_t>(std::time(nullptr));
}

int64_t MillisSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

struct Active {
  Sink* sink = nullptr;
  size_t outcome = 0;  // index into StoreOutcome::sinks
  SinkLock lock;
  Cursor cursor;
  std::optional<RetryState> retry;
  bool dirty = false;    // cursor moved over filtered-out events and is not saved yet
  bool stopped = false;  // failed this run
  bool to_end = false;   // new sink without backfill: starts after the current last event
};

// The cursor a sink may resume from, or nullopt to start over (logged).
std::optional<Cursor> UsableCursor(const std::string& store_dir, std::string_view name,
                                   const store::OutboxHeader& header) {
  std::optional<Cursor> c = LoadCursor(store_dir, name);
  if (!c) return c;
  if (c->store_id != header.store_id) {
    spdlog::warn(
        "notify: {}: the journal was replaced (store_id {} -> {}): delivering it from "
        "the start",
        name, c->store_id, header.store_id);
    return std::nullopt;
  }
  auto valid = store::OutboxPosValid(store_dir, c->batch);
  if (!valid.ok() || !*valid) {
    spdlog::warn(
        "notify: {}: the journal no longer holds record {} where the cursor says: "
        "delivering it from the start",
        name, c->batch.seq);
    return std::nullopt;
  }
  return c;
}

Status DeliverJournal(const NotifyConfig& cfg, const std::string& store_dir,
                      std::vector<std::unique_ptr<Sink>>& sinks, const RunOptions& options,
                      StoreOutcome& out) {
  if (sinks.empty()) return Status::Ok();
  auto header = store::ReadOutboxHeader(store_dir);
  if (!header.ok()) {
    return header.status().code() == Code::kNotFound ? Status::Ok() : header.status();
  }
  out.repository = header->repository;
  const int64_t now = NowSeconds(options);
  std::vector<Active> active;
  for (auto& sink : sinks) {
    const std::string name = sink->common().name;
    SinkOutcome& so = out.sinks.emplace_back();
    so.name = name;
    so.kind = std::string(sink->kind());
    auto lock = SinkLock::TryAcquire(store_dir, name);
    if (!lock.ok()) {
      so.error = lock.status().message();
      continue;
    }
    if (!lock->has_value()) {
      so.busy = true;
      continue;
    }
    std::optional<RetryState> retry = LoadRetry(store_dir, name);
    if (!IsDue(retry, now, options.retry_now)) {
      so.backing_off = true;
      continue;
    }
    std::optional<Cursor> cursor = UsableCursor(store_dir, name, *header);
    const bool fresh = !cursor;
    if (fresh) cursor = Cursor{header->store_id, 0, store::JournalPos{}};
    if (!fresh && cursor->batch.offset >= header->journal_size) continue;  // nothing new
    Active a{sink.get(), out.sinks.size() - 1, std::move(**lock), *cursor, retry};
    a.to_end = fresh && !sink->common().backfill;
    active.push_back(std::move(a));
  }
  if (active.empty()) return Status::Ok();

  // New sinks without backfill start after what the journal holds now.
  bool any_to_end = false;
  for (const auto& a : active) any_to_end = any_to_end || a.to_end;
  if (any_to_end) {
    auto end = store::ReadOutbox(store_dir, std::numeric_limits<int64_t>::max(),
                                 [](const store::OutboxItem&) { return true; });
    if (!end.ok()) return end.status();
    for (auto& a : active) {
      if (!a.to_end) continue;
      a.cursor.seq = std::max<int64_t>(0, end->committed.seq);
      a.cursor.batch = end->committed;
      if (Status s = SaveCursor(store_dir, a.sink->common().name, a.cursor); !s.ok()) {
        out.sinks[a.outcome].error = s.message();
      }
      a.stopped = true;
    }
  }

  int64_t from = std::numeric_limits<int64_t>::max();
  for (const auto& a : active) {
    if (!a.stopped) from = std::min(from, a.cursor.seq);
  }
  if (from == std::numeric_limits<int64_t>::max()) return Status::Ok();

  const std::string& store_id = header->store_id;
  const std::string& repository = header->repository;
  auto visit = [&](const store::OutboxItem& item) {
    const store::Event& e = *item.event;
    bool any = false;
    for (Active& a : active) {
      if (a.stopped) continue;
      SinkOutcome& so = out.sinks[a.outcome];
      const SinkCommon& common = a.sink->common();
      if (e.seq <= a.cursor.seq) {
        // Already delivered; only catch the cursor's batch position up.
        if (item.last_in_batch && item.batch_end.seq <= a.cursor.seq &&
            item.batch_end.seq > a.cursor.batch.seq) {
          a.cursor.batch = item.batch_end;
          a.dirty = true;
        }
        any = true;
        continue;
      }
      const std::string type(store::EventTypeName(e.type));
      if (!common.Wants(type)) {
        a.cursor.seq = e.seq;
        if (item.last_in_batch) a.cursor.batch = item.batch_end;
        a.dirty = true;
        any = true;
        continue;
      }
      Delivery d;
      d.event = type;
      d.seq = e.seq;
      d.alert = e.alert;
      d.id = DeliveryId(store_id, e.seq, common.name);
      d.body = EventPayload(e, item.alert, repository, store_id, d.id);
      const auto t0 = Clock::now();
      Attempt attempt = a.sink->Deliver(d);
      DeliveryRecord r;
      r.at = NowRfc3339();
      r.sink = common.name;
      r.kind = std::string(a.sink->kind());
      r.event = type;
      r.seq = e.seq;
      r.alert = e.alert;
      r.delivery = d.id;
      r.outcome = attempt.delivered ? "delivered" : "failed";
      r.http_status = attempt.http_status;
      r.exit_code = attempt.exit_code;
      r.attempt = a.retry ? a.retry->attempts + 1 : 1;
      r.duration_ms = MillisSince(t0);
      r.error = attempt.error;
      LogDelivery(store_dir, r);
      if (!attempt.delivered) {
        so.failed += 1;
        so.error = attempt.error;
        a.retry = RecordFailure(store_dir, common.name, a.retry, e.seq, attempt.error,
                                NowSeconds(options), cfg.retry_initial, cfg.retry_max);
        a.stopped = true;
        continue;
      }
      spdlog::info("notify: delivered {} of alert #{} (seq {}) to {} {}", type, e.alert, e.seq,
                   a.sink->kind(), common.name);
      so.delivered += 1;
      a.cursor.seq = e.seq;
      if (item.last_in_batch) a.cursor.batch = item.batch_end;
      if (Status s = SaveCursor(store_dir, common.name, a.cursor); !s.ok()) {
        // Delivered but not remembered: the next run delivers this event again.
        spdlog::error("notify: {}: cannot save the cursor: {}", common.name, s.message());
        so.error = s.message();
        a.stopped = true;
        continue;
      }
      a.dirty = false;
      if (a.retry) {
        (void)ClearRetry(store_dir, common.name);
        a.retry.reset();
      }
      any = true;
    }
    return any;
  };
  auto read = store::ReadOutbox(store_dir, from, visit);
  for (auto& a : active) {
    if (!a.dirty) continue;
    if (Status s = SaveCursor(store_dir, a.sink->common().name, a.cursor); !s.ok()) {
      spdlog::error("notify: {}: cannot save the cursor: {}", a.sink->common().name, s.message());
    }
  }
  if (!read.ok()) return read.status();
  if (read->damage) {
    out.problem =
        read->damage->file + ":" + std::to_string(read->damage->line) + ": " + read->damage->reason;
    spdlog::error("notify: journal damaged, events from {} on are not delivered", out.problem);
  }
  return Status::Ok();
}

}  // namespace

int StoreOutcome::delivered() const {
  int n = 0;
  for (const auto& s : sinks) n += s.delivered;
  return n;
}

int StoreOutcome::failed() const {
  int n = 0;
  for (const auto& s : sinks) n += s.failed;
  return n;
}

std::vector<std::unique_ptr<Sink>> MakeSinks(const NotifyConfig& config) {
  std::vector<std::unique_ptr<Sink>> out;
  for (const auto& w : config.webhooks) out.push_back(MakeWebhookSink(w));
  for (const auto& c : config.commands) out.push_back(MakeCommandSink(c));
  return out;
}

Result<StoreOutcome> NotifyStore(const NotifyConfig& config, const std::string& store_dir,
                                 std::vector<std::unique_ptr<Sink>>& sinks,
                                 const RunOptions& options) {
  StoreOutcome out;
  out.store_dir = store_dir;
  if (auto header = store::ReadOutboxHeader(store_dir); header.ok()) {
    out.repository = header->repository;
    out.store_id = header->store_id;
  }
  // Partners first: a provider revoking a leaked token is the most urgent delivery.
  DeliverPartners(config, store_dir, out.store_id, options, out.sinks);
  SG_RETURN_IF_ERROR(DeliverJournal(config, store_dir, sinks, options, out));
  return out;
}

bool HasDue(const NotifyConfig& config, const std::string& store_dir) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (config.HasPartnerEndpoints()) {
    auto entries = ListPartnerEntries(store_dir);
    if (entries.ok()) {
      for (const auto& e : *entries) {
        if (IsDue(LoadRetry(store_dir, PartnerSinkName(e.provider)), now)) return true;
      }
    }
  }
  if (!config.HasJournalSinks()) return false;
  auto header = store::ReadOutboxHeader(store_dir, /*check_sum=*/false);
  if (!header.ok()) return false;
  std::vector<std::string> names;
  for (const auto& w : config.webhooks) names.push_back(w.name);
  for (const auto& c : config.commands) names.push_back(c.name);
  for (const auto& name : names) {
    if (!IsDue(LoadRetry(store_dir, name), now)) continue;
    std::optional<Cursor> c = LoadCursor(store_dir, name);
    if (!c || c->store_id != header->store_id || c->batch.offset < header->journal_size)
      return true;
  }
  return false;
}

Result<StoreStatus> StatusOf(const NotifyConfig& config, const std::string& store_dir) {
  StoreStatus st;
  st.store_dir = store_dir;
  auto sinks = MakeSinks(config);
  auto header = store::ReadOutboxHeader(store_dir);
  if (!header.ok() && header.status().code() != Code::kNotFound) return header.status();
  std::vector<int64_t> cursors;
  for (const auto& s : sinks) {
    SinkStatus ss;
    ss.name = s->common().name;
    ss.kind = std::string(s->kind());
    ss.target = s->target();
    std::optional<Cursor> c;
    if (header.ok()) {
      st.repository = header->repository;
      c = UsableCursor(store_dir, ss.name, *header);
    }
    ss.cursor = c ? c->seq : -1;
    if (auto r = LoadRetry(store_dir, ss.name)) {
      ss.attempts = r->attempts;
      ss.next_attempt = FormatRfc3339(r->next_attempt);
      ss.first_failure = r->first_failure;
      ss.last_error = r->last_error;
    }
    cursors.push_back(c ? c->seq : (s->common().backfill ? 0 : -2));
    st.sinks.push_back(std::move(ss));
  }
  if (header.ok() && !sinks.empty()) {
    auto read = store::ReadOutbox(store_dir, 0, [&](const store::OutboxItem& item) {
      const std::string type(store::EventTypeName(item.event->type));
      for (size_t i = 0; i < sinks.size(); ++i) {
        // A new sink without backfill has nothing pending until its first run.
        if (cursors[i] != -2 && item.event->seq > cursors[i] && sinks[i]->common().Wants(type)) {
          ++st.sinks[i].pending;
        }
      }
      return true;
    });
    if (!read.ok()) return read.status();
    st.last_seq = read->committed.seq;
    if (read->damage) {
      st.problem = read->damage->file + ":" + std::to_string(read->damage->line) + ": " +
                   read->damage->reason;
    }
  }
  auto entries = ListPartnerEntries(store_dir);
  if (!entries.ok()) return entries.status();
  for (const auto& [provider, p] : config.partners) {
    if (p.url.empty()) continue;
    SinkStatus ss;
    ss.name = PartnerSinkName(provider);
    ss.kind = "partner";
    ss.target = RedactUrl(p.url);
    for (const auto& e : *entries) ss.pending += e.provider == provider;
    if (auto r = LoadRetry(store_dir, ss.name)) {
      ss.attempts = r->attempts;
      ss.next_attempt = FormatRfc3339(r->next_attempt);
      ss.first_failure = r->first_failure;
      ss.last_error = r->last_error;
    }
    st.sinks.push_back(std::move(ss));
  }
  return st;
}

}  // namespace sg::notify
