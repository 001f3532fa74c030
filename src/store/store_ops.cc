// The Store operations: Record, Close, Reopen, SetValidity, and the reads.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "store/store_impl.h"

namespace sg::store {
namespace {

Status CheckObservation(const Observation& o, size_t i) {
  const std::string where = "observation " + std::to_string(i) + ": ";
  if (o.rule_id.empty()) return Status::Invalid(where + "rule_id is empty");
  if (o.rule_id.find('\0') != std::string::npos) {
    return Status::Invalid(where + "rule_id contains a NUL byte");
  }
  if (o.secret.empty()) return Status::Invalid(where + "secret is empty");
  return Status::Ok();
}

Event BaseEvent(EventType type, int64_t alert, std::string_view actor, const std::string& at) {
  Event e;
  e.type = type;
  e.alert = alert;
  e.actor = std::string(actor);
  e.at = at;
  return e;
}

// The alert as the append just made left it. (Append drops the in-memory views in the unexpected
// case that they diverge from the journal; they are then reloaded.)
Result<Alert> AlertAfterAppend(Store::Impl& m, int64_t number) {
  if (!m.state) SG_RETURN_IF_ERROR(m.Sync(/*want_state=*/true));
  const Alert* a = m.state->Get(number);
  if (a == nullptr) return Status::Internal("alert " + std::to_string(number) + " vanished");
  return *a;
}

// What Record() will append and answer, decided against the index under the lock.
struct Plan {
  std::vector<Event> events;
  std::vector<RecordOutcome> outcomes;
};

// Fails only when the derived index cannot be read; nothing has been written then.
Result<Plan> MakePlan(Store::Impl& m, std::span<const Observation> observations,
                      const std::optional<Bypass>& bypass, std::string_view actor) {
  struct Touched {
    int64_t number;
    bool resolved;
    bool created;
  };
  std::vector<Touched> touched;                   // alerts in first-seen order
  std::unordered_map<std::string, size_t> by_fp;  // fingerprint -> position in touched
  std::set<std::string> locations;                // location keys added by this call
  std::vector<size_t> which;                      // observation -> position in touched
  Plan plan;
  const std::string at = m.Now();
  int64_t next_number = m.index->alert_count() + 1;
  for (const Observation& o : observations) {
    const std::string fp = m.FingerprintOf(o.rule_id, o.secret);
    const std::string cross = m.options.cross_repo_key.empty()
                                  ? std::string()
                                  : Fingerprint(m.options.cross_repo_key, o.rule_id, o.secret);
    auto it = by_fp.find(fp);
    if (it == by_fp.end()) {
      auto found = m.index->Find(fp);
      if (!found.ok()) return found.status();
      Touched t = found.value() ? Touched{(*found)->number, (*found)->resolved, false}
                                : Touched{next_number++, false, true};
      if (t.created) {
        Event e = BaseEvent(EventType::kCreated, t.number, actor, at);
        e.fingerprint = fp;
        e.cross_fingerprint = cross;
        e.secret_type = o.rule_id;
        e.display_name = o.display_name;
        e.provider = o.provider;
        e.secret_redacted = o.secret_redacted;
        e.repository = m.options.repository;
        if (m.options.store_secrets) e.secret = o.secret;
        plan.events.push_back(std::move(e));
      }
      touched.push_back(t);
      it = by_fp.emplace(fp, touched.size() - 1).first;
    }
    which.push_back(it->second);
    const Touched& t = touched[it->second];
    Location loc = o.location;
    if (loc.pushed_at.empty()) loc.pushed_at = at;
    const std::string key = LocationKey(t.number, loc);
    if (locations.count(key) != 0) continue;
    if (!t.created) {
      auto seen = m.index->HasLocation(t.number, loc);
      if (!seen.ok()) return seen.status();
      if (*seen) continue;
    }
    locations.insert(key);
    Event e = BaseEvent(EventType::kLocationCreated, t.number, actor, at);
    e.location = std::move(loc);
    if (!t.created) e.cross_fingerprint = cross;  // an older alert may not have it yet
    plan.events.push_back(std::move(e));
  }
  if (bypass) {
    const std::string by = bypass->actor.empty() ? std::string(actor) : bypass->actor;
    const bool resolves = bypass->reason != "will_fix_later";
    for (Touched& t : touched) {
      Event e = BaseEvent(EventType::kBypassed, t.number, by, at);
      e.reason = bypass->reason;
      e.comment = bypass->comment;
      plan.events.push_back(std::move(e));
      if (!resolves || t.resolved) continue;
      Event r = BaseEvent(EventType::kResolved, t.number, by, at);
      r.resolution = bypass->reason;
      r.comment = bypass->comment;
      plan.events.push_back(std::move(r));
      t.resolved = true;
    }
  }
  for (size_t i : which) {
    const Touched& t = touched[i];
    plan.outcomes.push_back({t.number, t.created, t.resolved ? "resolved" : "open"});
  }
  return plan;
}

}  // namespace

Result<std::vector<RecordOutcome>> Store::Record(std::span<const Observation> observations,
                                                 const std::optional<Bypass>& bypass,
                                                 std::string_view actor) {
  for (size_t i = 0; i < observations.size(); ++i) {
    SG_RETURN_IF_ERROR(CheckObservation(observations[i], i));
  }
  if (bypass && !IsBypassReason(bypass->reason)) {
    return Status::Invalid("bypass reason \"" + bypass->reason +
                           "\" is not false_positive, used_in_tests or will_fix_later");
  }
  Impl& m = *impl_;
  auto lock = m.Lock();
  if (!lock.ok()) return lock.status();
  SG_RETURN_IF_ERROR(m.Writable());
  SG_RETURN_IF_ERROR(m.Sync(/*want_state=*/false));
  auto plan = MakePlan(m, observations, bypass, actor);
  if (!plan.ok()) {
    // The derived index is unreadable: rebuild it from the journal and decide again.
    spdlog::warn("alert index unusable ({}); rebuilding it", plan.status().message());
    SG_RETURN_IF_ERROR(m.RebuildIndex());
    plan = MakePlan(m, observations, bypass, actor);
    if (!plan.ok()) return plan.status();
  }
  if (!plan->events.empty()) SG_RETURN_IF_ERROR(m.Append(plan->events));
  return std::move(plan->outcomes);
}

Result<Alert> Store::Close(int64_t number, std::string_view reason, std::string_view comment,
                           std::string_view actor) {
  if (!IsResolution(reason)) {
    return Status::Invalid("resolution \"" + std::string(reason) +
                           "\" is not false_positive, wont_fix, revoked or used_in_tests");
  }
  Impl& m = *impl_;
  auto lock = m.Lock();
  if (!lock.ok()) return lock.status();
  SG_RETURN_IF_ERROR(m.Writable());
  SG_RETURN_IF_ERROR(m.Sync(/*want_state=*/true));
  const Alert* a = m.state->Get(number);
  if (a == nullptr) return Status::NotFound("no alert " + std::to_string(number));
  if (a->state == "resolved") {
    return Status::Conflict("alert " + std::to_string(number) + " is already resolved (" +
                            a->resolution + ")");
  }
  std::vector<Event> events{BaseEvent(EventType::kResolved, number, actor, m.Now())};
  events[0].resolution = std::string(reason);
  events[0].comment = std::string(comment);
  SG_RETURN_IF_ERROR(m.Append(events));
  return AlertAfterAppend(m, number);
}

Result<Alert> Store::Reopen(int64_t number, std::string_view comment, std::string_view actor) {
  Impl& m = *impl_;
  auto lock = m.Lock();
  if (!lock.ok()) return lock.status();
  SG_RETURN_IF_ERROR(m.Writable());
  SG_RETURN_IF_ERROR(m.Sync(/*want_state=*/true));
  const Alert* a = m.state->Get(number);
  if (a == nullptr) return Status::NotFound("no alert " + std::to_string(number));
  if (a->state != "resolved") {
    return Status::Conflict("alert " + std::to_string(number) + " is open");
  }
  std::vector<Event> events{BaseEvent(EventType::kReopened, number, actor, m.Now())};
  events[0].comment = std::string(comment);
  SG_RETURN_IF_ERROR(m.Append(events));
  return AlertAfterAppend(m, number);
}

Result<Alert> Store::SetValidity(int64_t number, std::string_view validity,
                                 std::string_view actor) {
  if (!IsValidity(validity)) {
    return Status::Invalid("validity \"" + std::string(validity) +
                           "\" is not active, inactive or unknown");
  }
  Impl& m = *impl_;
  auto lock = m.Lock();
  if (!lock.ok()) return lock.status();
  SG_RETURN_IF_ERROR(m.Writable());
  SG_RETURN_IF_ERROR(m.Sync(/*want_state=*/true));
  const Alert* a = m.state->Get(number);
  if (a == nullptr) return Status::NotFound("no alert " + std::to_string(number));
  if (a->validity == validity) return *a;
  std::vector<Event> events{BaseEvent(EventType::kValidated, number, actor, m.Now())};
  events[0].validity = std::string(validity);
  SG_RETURN_IF_ERROR(m.Append(events));
  return AlertAfterAppend(m, number);
}

Result<std::vector<Alert>> Store::List(const Filter& filter) {
  if (filter.state && !IsState(*filter.state)) {
    return Status::Invalid("state \"" + *filter.state + "\" is not open or resolved");
  }
  Impl& m = *impl_;
  const bool was_loaded = m.state.has_value();
  const State* st = nullptr;
  {
    auto lock = m.Lock();
    if (!lock.ok()) return lock.status();
    auto readable = m.ReadableState();
    if (!readable.ok()) return readable.status();
    st = *readable;
  }
  auto keep = [&](const Alert& a) {
    return (!filter.state || a.state == *filter.state) &&
           (!filter.secret_type || a.secret_type == *filter.secret_type);
  };
  std::vector<Alert> out;
  if (!was_loaded && st == &*m.state) {
    // Loaded for this call only (the usual CLI case): hand the alerts over instead of copying
    // 100,000 of them; the next call that needs them reloads the snapshot.
    out = std::move(*m.state).TakeAlerts();
    m.state.reset();
    out.erase(std::remove_if(out.begin(), out.end(), [&](const Alert& a) { return !keep(a); }),
              out.end());
    return out;
  }
  for (const Alert& a : st->alerts()) {
    if (keep(a)) out.push_back(a);
  }
  return out;
}

Status Store::Visit(const std::function<void(std::span<const Alert>, int64_t seq)>& visit) {
  Impl& m = *impl_;
  auto lock = m.Lock();
  if (!lock.ok()) return lock.status();
  SG_RETURN_IF_ERROR(m.Sync(/*want_state=*/true));
  visit(std::span<const Alert>(m.state->alerts()), m.state->pos().seq);
  return Status::Ok();
}

Result<Alert> Store::Get(int64_t number) {
  Impl& m = *impl_;
  auto lock = m.Lock();
  if (!lock.ok()) return lock.status();
  auto st = m.ReadableState();
  if (!st.ok()) return st.status();
  const Alert* a = (*st)->Get(number);
  if (a == nullptr) return Status::NotFound("no alert " + std::to_string(number));
  return *a;
}

Result<std::optional<Alert>> Store::FindBySecret(std::string_view rule_id,
                                                 std::string_view secret) {
  Impl& m = *impl_;
  auto lock = m.Lock();
  if (!lock.ok()) return lock.status();
  if (m.absent || m.key.empty()) return std::optional<Alert>();
  if (m.damage.ok()) {
    SG_RETURN_IF_ERROR(m.Sync(/*want_state=*/false));
    // The index answers "no such alert" without loading every alert.
    auto found = m.index->Find(m.FingerprintOf(rule_id, secret));
    if (found.ok() && !found.value()) return std::optional<Alert>();
  }
  auto st = m.ReadableState();
  if (!st.ok()) return st.status();
  const std::optional<int64_t> number = (*st)->FindByFingerprint(m.FingerprintOf(rule_id, secret));
  if (!number) return std::optional<Alert>();
  return std::optional<Alert>(*(*st)->Get(*number));
}

}  // namespace sg::store
