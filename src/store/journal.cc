#include "store/journal.h"

#include "store/crypto.h"
#include "store/file_util.h"

namespace sg::store {
namespace {

constexpr std::string_view kSumPrefix = ",\"sum\":\"";
constexpr size_t kSumSuffixLen = kSumPrefix.size() + kSumHexLen + 2;  // ,"sum":"<hex>"}
constexpr size_t kChunk = 1 << 20;

std::string SumOf(std::string_view body) { return Sha256Hex(body).substr(0, kSumHexLen); }

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Hands out the lines of [start, size) of a file, reading 1 MiB at a time.
class LineReader {
 public:
  LineReader(int fd, const std::string& path, uint64_t start, uint64_t size)
      : fd_(fd), path_(path), buf_off_(start), size_(size) {}

  // Sets *line (without newline), *offset and *complete (false for a last line that has no
  // newline). Returns false at end of file.
  Result<bool> Next(std::string_view* line, uint64_t* offset, bool* complete) {
    for (;;) {
      const size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        *line = std::string_view(buf_).substr(pos_, nl - pos_);
        *offset = buf_off_ + pos_;
        *complete = true;
        pos_ = nl + 1;
        return true;
      }
      const uint64_t have_end = buf_off_ + buf_.size();
      if (have_end >= size_) {
        if (pos_ >= buf_.size()) return false;
        *line = std::string_view(buf_).substr(pos_);
        *offset = buf_off_ + pos_;
        *complete = false;
        pos_ = buf_.size();
        return true;
      }
      // Drop consumed bytes, then read more.
      buf_.erase(0, pos_);
      buf_off_ += pos_;
      pos_ = 0;
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, size_ - have_end));
      auto more = ReadAt(fd_, have_end, want, path_);
      if (!more.ok()) return more.status();
      if (more->empty()) {
        size_ = have_end;  // the file shrank under us; treat what we have as the end
        continue;
      }
      buf_ += *more;
    }
  }

 private:
  int fd_;
  const std::string& path_;
  std::string buf_;
  size_t pos_ = 0;
  uint64_t buf_off_;
  uint64_t size_;
};

}  // namespace

EncodedBatch EncodeBatch(std::span<Event> events, const JournalPos& after) {
  EncodedBatch out;
  JournalPos pos = after;
  const int64_t batch = after.seq + 1;
  for (size_t i = 0; i < events.size(); ++i) {
    Event& e = events[i];
    e.seq = pos.seq + 1;
    nlohmann::ordered_json j;
    j["seq"] = e.seq;
    const nlohmann::ordered_json fields = EncodeEvent(e);
    for (const auto& [key, value] : fields.items()) j[key] = value;
    j["batch"] = batch;
    if (i + 1 == events.size()) j["end"] = true;
    j["prev"] = pos.sum;
    std::string body = DumpJson(j);
    body.pop_back();  // the closing brace; the sum member goes before it
    const std::string sum = SumOf(body);
    const uint64_t line_start = after.offset + out.bytes.size();
    out.bytes += body;
    out.bytes += kSumPrefix;
    out.bytes += sum;
    out.bytes += "\"}\n";
    pos = JournalPos{after.offset + out.bytes.size(), e.seq, sum, line_start};
  }
  out.end = pos;
  return out;
}

namespace {

// Reads the framing from the text our writer produces ({"seq":N,...,"batch":B[,"end":true],
// "prev":"<hex>"), without a JSON parser. False if the line is laid out otherwise.
bool FastFraming(std::string_view body, ParsedLine& p) {
  constexpr std::string_view kSeq = "{\"seq\":", kPrev = ",\"prev\":\"", kEnd = ",\"end\":true",
                             kBatch = ",\"batch\":";
  auto digits = [](std::string_view s, int64_t& v) {
    if (s.empty() || s.size() > 18) return false;
    v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    return true;
  };
  if (!body.starts_with(kSeq) || body.size() < kPrev.size() + kSumHexLen + 1) return false;
  const size_t comma = body.find(',', kSeq.size());
  if (comma == std::string_view::npos ||
      !digits(body.substr(kSeq.size(), comma - kSeq.size()), p.seq)) {
    return false;
  }
  std::string_view rest = body.substr(0, body.size() - kPrev.size() - kSumHexLen - 1);
  if (body.substr(rest.size(), kPrev.size()) != kPrev || !body.ends_with('"')) return false;
  p.prev = std::string(body.substr(rest.size() + kPrev.size(), kSumHexLen));
  p.end = rest.ends_with(kEnd);
  if (p.end) rest.remove_suffix(kEnd.size());
  const size_t b = rest.rfind(kBatch);
  return b != std::string_view::npos && digits(rest.substr(b + kBatch.size()), p.batch) &&
         p.prev.size() == kSumHexLen && IsLowerHex(p.prev);
}

}  // namespace

Result<ParsedLine> ParseLine(std::string_view line, bool want_json) {
  if (line.size() < kSumSuffixLen + 2 ||
      line.substr(line.size() - kSumSuffixLen, kSumPrefix.size()) != kSumPrefix ||
      !line.ends_with("\"}")) {
    return Status::Corruption("not a complete record (no \"sum\" member at the end of the line)");
  }
  ParsedLine p;
  p.sum = std::string(line.substr(line.size() - kSumHexLen - 2, kSumHexLen));
  const std::string computed = SumOf(line.substr(0, line.size() - kSumSuffixLen));
  if (computed != p.sum) {
    return Status::Corruption("checksum mismatch (record says " + p.sum + ", content hashes to " +
                              computed + ")");
  }
  if (!want_json && FastFraming(line.substr(0, line.size() - kSumSuffixLen), p)) return p;
  p.json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (p.json.is_discarded() || !p.json.is_object()) {
    return Status::Corruption("not a JSON object");
  }
  auto seq = p.json.find("seq");
  auto batch = p.json.find("batch");
  auto prev = p.json.find("prev");
  auto end = p.json.find("end");
  if (seq == p.json.end() || !seq->is_number_integer() || batch == p.json.end() ||
      !batch->is_number_integer() || prev == p.json.end() || !prev->is_string() ||
      (end != p.json.end() && !end->is_boolean())) {
    return Status::Corruption("record lacks a well-typed seq, batch, prev or end");
  }
  p.seq = seq->get<int64_t>();
  p.batch = batch->get<int64_t>();
  p.prev = prev->get<std::string>();
  p.end = end != p.json.end() && end->get<bool>();
  if (p.prev.size() != kSumHexLen || !IsLowerHex(p.prev)) {
    return Status::Corruption("prev is not 32 hex digits");
  }
  return p;
}

bool IsRepairedRecord(std::string_view line) {
  // The writer puts "type" right after "seq"; anything else is parsed in full.
  const size_t comma = line.find(',');
  if (comma != std::string_view::npos && line.substr(comma).starts_with(",\"type\":\"")) {
    return line.substr(comma).starts_with(",\"type\":\"repaired\"");
  }
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.value("type", "") == "repaired";
}

Result<ScanOutcome> ScanJournal(int fd, const std::string& path, const JournalPos& from,
                                const BatchSink& sink, int64_t decode_after_seq,
                                std::optional<uint64_t> durable_size) {
  auto stamp = StatFd(fd, path);
  if (!stamp.ok()) return stamp.status();
  ScanOutcome out;
  out.committed = from;
  out.file_size = stamp->size;
  if (from.offset > stamp->size) {
    out.damage = Problem{path, from.seq + 1, "journal is shorter than a position read before"};
    return out;
  }
  LineReader reader(fd, path, from.offset, stamp->size);
  JournalPos cur = from;
  int64_t batch_first = -1;  // seq of the first record of the unfinished append, -1 if none
  int64_t batch_records = 0;
  std::vector<Event> pending;  // its decoded records
  int64_t line_no = from.seq + 2;
  std::string why;
  bool bad_line_intact = false;  // the bad line's checksum holds: not a torn write
  std::string_view line;
  uint64_t line_off = 0;
  bool complete = false;
  for (;;) {
    auto more = reader.Next(&line, &line_off, &complete);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (!complete) {
      why = "partial last line (" + std::to_string(line.size()) + " bytes, no newline)";
      break;
    }
    // Records up to decode_after_seq are only checked (checksum, chain), not decoded.
    auto p = ParseLine(line, /*want_json=*/line_no - 1 > decode_after_seq);
    if (!p.ok()) {
      why = p.status().message();
      break;
    }
    bad_line_intact = true;
    const int64_t want_batch = batch_first < 0 ? p->seq : batch_first;
    const bool jump = p->seq > cur.seq + 1 && batch_first < 0 && IsRepairedRecord(line);
    if (jump && p->json.is_null() && p->seq > decode_after_seq) {
      p->json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    }
    if (p->seq != cur.seq + 1 && !jump) {
      why = "seq " + std::to_string(p->seq) + " where " + std::to_string(cur.seq + 1) +
            " was expected";
    } else if (p->prev != cur.sum) {
      why = "hash chain broken: prev " + p->prev + " is not the previous record's sum " + cur.sum;
    } else if (p->batch != want_batch) {
      why = "batch " + std::to_string(p->batch) + " where " + std::to_string(want_batch) +
            " was expected";
    } else if (p->seq > decode_after_seq) {
      auto e = DecodeEvent(p->json);
      if (!e.ok()) {
        why = e.status().message();
      } else if ((e->type == EventType::kHeader) != (p->seq == 0)) {
        why = p->seq == 0 ? "first record is not a header" : "header record after the first line";
      } else {
        pending.push_back(std::move(e.value()));
      }
    }
    if (!why.empty()) break;
    bad_line_intact = false;
    cur = JournalPos{line_off + line.size() + 1, p->seq, p->sum, line_off};
    if (batch_first < 0) batch_first = p->seq;
    ++batch_records;
    if (p->end) {
      if (!pending.empty()) {
        Status s = sink(pending, cur);
        if (!s.ok()) {
          out.damage = Problem{path, pending.front().seq + 1, s.message()};
          return out;
        }
      }
      out.committed = cur;
      pending.clear();
      batch_first = -1;
      batch_records = 0;
    }
    ++line_no;
  }
  // What an acknowledged append wrote cannot be a torn tail: only bytes at or beyond the durable
  // size can be the remains of an append nobody was told had succeeded.
  const uint64_t durable = durable_size.value_or(0);
  if (why.empty() && batch_records == 0) {
    if (out.committed.offset < durable) {
      out.damage = Problem{path, line_no,
                           "the journal ends at byte " + std::to_string(out.committed.offset) +
                               " but " + std::to_string(durable) +
                               " bytes were acknowledged: acknowledged records are missing"};
    }
    return out;  // clean end of file
  }
  if (out.committed.offset < durable) {
    const int64_t bad_line = why.empty() ? out.committed.seq + 2 : line_no;
    if (why.empty()) {
      why = "append of " + std::to_string(batch_records) + " record(s) never finished";
    }
    out.damage =
        Problem{path, bad_line,
                why + " (inside the acknowledged part of the journal, which ends at byte " +
                    std::to_string(durable) + ")"};
    return out;
  }
  if (why.empty()) {
    why = "append of " + std::to_string(batch_records) + " record(s) never finished";
  } else if (bad_line_intact || out.committed.seq < 0) {
    // A torn write cannot produce a line whose checksum holds, and the header is written by
    // rename, so it is never torn.
    out.damage = Problem{path, line_no, why};
    return out;
  } else {
    // Damage followed by an intact record of a later append is not a torn tail: that later
    // append was acknowledged, and cutting would lose it.
    const int64_t torn_batch = out.committed.seq + 1;
    while (complete) {
      auto more = reader.Next(&line, &line_off, &complete);
      if (!more.ok()) return more.status();
      if (!*more || !complete) break;
      auto p = ParseLine(line, /*want_json=*/false);
      if (p.ok() && p->batch != torn_batch) {
        out.damage = Problem{path, line_no, why + " (intact records follow it)"};
        return out;
      }
    }
  }
  out.torn_line = out.committed.seq + 2;
  out.torn_reason = "line " + std::to_string(line_no) + ": " + why;
  out.torn_bytes = stamp->size - out.committed.offset;
  return out;
}

Result<bool> CheckPos(int fd, const std::string& path, const JournalPos& pos) {
  if (pos.seq < 0) return pos.offset == 0;
  if (pos.offset <= pos.line_start) return false;
  auto bytes = ReadAt(fd, pos.line_start, pos.offset - pos.line_start, path);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != pos.offset - pos.line_start || !bytes->ends_with('\n')) return false;
  auto p = ParseLine(std::string_view(*bytes).substr(0, bytes->size() - 1), /*want_json=*/false);
  return p.ok() && p->seq == pos.seq && p->sum == pos.sum;
}

}  // namespace sg::store
