#include "store/snapshot.h"

#include <array>
#include <cstring>

#include "store/crypto.h"

namespace sg::store {
namespace {

constexpr char kMagic[8] = {'S', 'G', 'S', 'N', 'A', 'P', '0', '1'};
// 2: cross_fingerprint after push_protection_bypassed_at. Another version is rebuilt from
// the journal (the snapshot is derived).
constexpr uint32_t kVersion = 2;
constexpr size_t kTrailer = 32;  // SHA-256 of everything before it

class Writer {
 public:
  template <typename T>
  void Num(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void Str(std::string_view s) {
    Num<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void Raw(std::string_view s) { out_.append(s); }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  T Num() {
    T v{};
    if (in_.size() < sizeof v) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, in_.data(), sizeof v);
    in_.remove_prefix(sizeof v);
    return v;
  }
  std::string Str() {
    const auto n = Num<uint32_t>();
    return Raw(n);
  }
  std::string Raw(size_t n) {
    if (!ok_ || in_.size() < n) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

void PutLocation(Writer& w, const Location& l) {
  for (const std::string* s :
       {&l.commit_sha, &l.path, &l.blob_sha, &l.ref, &l.pushed_by, &l.pushed_at}) {
    w.Str(*s);
  }
  for (int v : {l.start_line, l.end_line, l.start_column, l.end_column}) w.Num<int32_t>(v);
}

Location GetLocation(Reader& r) {
  Location l;
  for (std::string* s : {&l.commit_sha, &l.path, &l.blob_sha, &l.ref, &l.pushed_by, &l.pushed_at}) {
    *s = r.Str();
  }
  for (int* v : {&l.start_line, &l.end_line, &l.start_column, &l.end_column}) {
    *v = r.Num<int32_t>();
  }
  return l;
}

// The string fields of an alert, in snapshot order.
template <typename A>
auto AlertStrings(A& a) {
  return std::array{&a.repository,
                    &a.created_at,
                    &a.updated_at,
                    &a.state,
                    &a.resolution,
                    &a.resolution_comment,
                    &a.resolved_by,
                    &a.resolved_at,
                    &a.secret_type,
                    &a.secret_type_display_name,
                    &a.provider,
                    &a.secret_redacted,
                    &a.fingerprint,
                    &a.validity,
                    &a.push_protection_bypassed_by,
                    &a.push_protection_bypassed_at,
                    &a.cross_fingerprint};
}

std::string Fixed(std::string_view s, size_t n) {
  std::string out(s.substr(0, n));
  out.resize(n, '\0');
  return out;
}

}  // namespace

std::string EncodeSnapshot(const State& state, std::string_view store_id) {
  Writer w;
  w.Raw(std::string_view(kMagic, 8));
  w.Num<uint32_t>(kVersion);
  w.Num<uint32_t>(0);
  w.Num<uint64_t>(state.pos().offset);
  w.Num<int64_t>(state.pos().seq);
  w.Num<uint64_t>(state.pos().line_start);
  w.Raw(Fixed(state.pos().sum, kSumHexLen));
  w.Raw(Fixed(store_id, 32));
  w.Num<uint64_t>(state.alerts().size());
  for (const Alert& a : state.alerts()) {
    w.Num<int64_t>(a.number);
    for (const std::string* s : AlertStrings(a)) w.Str(*s);
    w.Num<uint8_t>(a.secret.has_value());
    w.Str(a.secret.value_or(""));
    w.Num<uint8_t>(a.push_protection_bypassed);
    w.Num<uint32_t>(static_cast<uint32_t>(a.locations.size()));
    for (const Location& l : a.locations) PutLocation(w, l);
    w.Num<uint32_t>(static_cast<uint32_t>(a.timeline.size()));
    for (const TimelineEvent& t : a.timeline) {
      for (const std::string* s : {&t.event, &t.actor, &t.at, &t.comment, &t.detail}) w.Str(*s);
    }
  }
  w.Raw(Sha256Raw(w.out()));
  return std::move(w.out());
}

Result<State> DecodeSnapshot(std::string_view data, std::string_view store_id) {
  auto damaged = [](const std::string& why) { return Status::Corruption("snapshot: " + why); };
  if (data.size() < 8 + kTrailer || std::memcmp(data.data(), kMagic, 8) != 0) {
    return damaged("not a snapshot");
  }
  const std::string_view body = data.substr(0, data.size() - kTrailer);
  if (Sha256Raw(body) != data.substr(body.size())) return damaged("checksum mismatch");
  Reader r(body.substr(8));
  if (r.Num<uint32_t>() != kVersion) return damaged("unsupported version");
  r.Num<uint32_t>();
  JournalPos pos;
  pos.offset = r.Num<uint64_t>();
  pos.seq = r.Num<int64_t>();
  pos.line_start = r.Num<uint64_t>();
  pos.sum = r.Raw(kSumHexLen);
  if (r.Raw(32) != Fixed(store_id, 32)) return damaged("belongs to another journal");
  const auto count = r.Num<uint64_t>();
  State state;
  if (count > body.size()) return damaged("alert count exceeds the file");
  state.Reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    Alert a;
    a.number = r.Num<int64_t>();
    for (std::string* s : AlertStrings(a)) *s = r.Str();
    const bool has_secret = r.Num<uint8_t>() != 0;
    std::string secret = r.Str();
    if (has_secret) a.secret = std::move(secret);
    a.push_protection_bypassed = r.Num<uint8_t>() != 0;
    const auto locations = r.Num<uint32_t>();
    for (uint32_t k = 0; k < locations && r.ok(); ++k) a.locations.push_back(GetLocation(r));
    const auto events = r.Num<uint32_t>();
    for (uint32_t k = 0; k < events && r.ok(); ++k) {
      TimelineEvent t;
      for (std::string* s : {&t.event, &t.actor, &t.at, &t.comment, &t.detail}) *s = r.Str();
      a.timeline.push_back(std::move(t));
    }
    if (!r.ok()) break;
    SG_RETURN_IF_ERROR(state.AddDecoded(std::move(a)));
  }
  if (!r.ok() || !r.done()) return damaged("truncated or overlong");
  state.set_pos(pos);
  return state;
}

}  // namespace sg::store
