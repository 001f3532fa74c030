#include "store/outbox.h"

#include <fcntl.h>

#include "store/file_util.h"
#include "store/state.h"

namespace sg::store {
namespace {

std::string JournalPath(const std::string& store_dir) {
  return store_dir + "/" + std::string(kJournalFile);
}

}  // namespace

Result<OutboxHeader> ReadOutboxHeader(const std::string& store_dir, bool check_sum) {
  const std::string path = JournalPath(store_dir);
  auto fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  auto stamp = StatFd(fd->get(), path);
  if (!stamp.ok()) return stamp.status();
  auto head = ReadAt(fd->get(), 0, 1 << 16, path);
  if (!head.ok()) return head.status();
  const size_t nl = head->find('\n');
  if (nl == std::string::npos) return Status::Corruption(path + ":1: no complete header line");
  nlohmann::json json;
  if (check_sum) {
    auto line = ParseLine(std::string_view(*head).substr(0, nl));
    if (!line.ok()) return line.status().WithContext(path + ":1");
    json = std::move(line->json);
  } else {
    json = nlohmann::json::parse(head->substr(0, nl), nullptr, /*allow_exceptions=*/false);
  }
  auto e = DecodeEvent(json);
  if (!e.ok() || e->type != EventType::kHeader) {
    return Status::Corruption(path + ":1: not a journal header");
  }
  return OutboxHeader{e->store_id, e->repository, stamp->size};
}

Result<bool> OutboxPosValid(const std::string& store_dir, const JournalPos& pos) {
  const std::string path = JournalPath(store_dir);
  auto fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  return CheckPos(fd->get(), path, pos);
}

Result<OutboxReadResult> ReadOutbox(const std::string& store_dir, int64_t after_seq,
                                    const OutboxVisitor& visit) {
  const std::string path = JournalPath(store_dir);
  auto fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  OutboxReadResult result;
  State state;
  JournalPos prev;
  bool stopped = false;
  auto sink = [&](std::span<const Event> events, const JournalPos& end) -> Status {
    const JournalPos start = prev;
    prev = end;
    if (!events.empty() && events.front().type == EventType::kHeader) {
      result.header.store_id = events.front().store_id;
      result.header.repository = events.front().repository;
    }
    SG_RETURN_IF_ERROR(state.ApplyBatch(events, end));
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      if (e.type == EventType::kHeader || e.type == EventType::kRepaired || e.seq <= after_seq)
        continue;
      OutboxItem item;
      item.event = &e;
      item.alert = state.Get(e.alert);
      item.batch_end = end;
      item.batch_start = start;
      item.last_in_batch = i + 1 == events.size();
      if (!visit(item)) {
        stopped = true;
        return Status::Conflict("stopped by the reader");
      }
    }
    return Status::Ok();
  };
  auto scan = ScanJournal(fd->get(), path, JournalPos{}, sink);
  if (!scan.ok()) return scan.status();
  result.committed = scan->committed;
  result.header.journal_size = scan->file_size;
  if (!stopped) result.damage = scan->damage;
  return result;
}

}  // namespace sg::store
