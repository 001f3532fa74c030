#include "store/index.h"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include "store/crypto.h"

namespace sg::store {
namespace {

// Layout (little-endian, as written by x86-64 and arm64), see FORMAT.md.
constexpr char kMagic[8] = {'S', 'G', 'I', 'D', 'X', '0', '0', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 128;
constexpr size_t kAlertEntry = 48;     // fingerprint[32] number u64 crc u32 pad u32
constexpr size_t kStateEntry = 8;      // resolved u8 pad[3] crc u32
constexpr size_t kLocationEntry = 24;  // key[20] crc u32
constexpr size_t kFpBytes = 32, kKeyBytes20 = 20;

template <typename T>
void Put(std::string& buf, size_t at, T v) {
  std::memcpy(buf.data() + at, &v, sizeof v);
}
template <typename T>
T Get(std::string_view buf, size_t at) {
  T v;
  std::memcpy(&v, buf.data() + at, sizeof v);
  return v;
}

std::string NumberBytes(int64_t n) {
  std::string s(8, '\0');
  Put<int64_t>(s, 0, n);
  return s;
}

uint32_t StateCrc(int64_t number, bool resolved) {
  return Crc32c(NumberBytes(number) + (resolved ? '\1' : '\0'));
}

// `s` cut or zero-padded to exactly n bytes.
std::string Fixed(std::string_view s, size_t n) {
  std::string out(s.substr(0, n));
  out.resize(n, '\0');
  return out;
}

Status Damaged(const std::string& path, const std::string& why) {
  return Status::Corruption(path + ": " + why);
}

}  // namespace

std::string LocationKey(int64_t number, const Location& l) {
  std::string s = std::to_string(number);
  for (const std::string* part : {&l.commit_sha, &l.path, &l.blob_sha}) {
    s += '\0';
    s += *part;
  }
  s += '\0' + std::to_string(l.start_line) + '\0' + std::to_string(l.start_column);
  return Sha256Raw(s).substr(0, kKeyBytes20);
}

Result<Index> Index::Load(const Dir& dir, std::string_view name, std::string_view store_id) {
  const std::string path = dir.PathOf(name);
  auto fd = dir.OpenFile(name, O_RDONLY);
  if (!fd.ok()) return fd.status();
  auto header = ReadAt(fd->get(), 0, kHeaderSize, path);
  if (!header.ok()) return header.status();
  std::string& h = *header;
  if (h.size() != kHeaderSize || std::memcmp(h.data(), kMagic, 8) != 0 ||
      Get<uint32_t>(h, 8) != kVersion) {
    return Damaged(path, "not a version 1 index");
  }
  const uint32_t crc = Get<uint32_t>(h, 12);
  Put<uint32_t>(h, 12, 0);
  if (Crc32c(h) != crc) return Damaged(path, "header checksum mismatch");
  if (h.substr(88, 32) != Fixed(store_id, 32)) return Damaged(path, "belongs to another journal");
  Index ix;
  ix.base_pos_.offset = Get<uint64_t>(h, 16);
  ix.base_pos_.seq = Get<int64_t>(h, 24);
  ix.base_pos_.line_start = Get<uint64_t>(h, 32);
  ix.base_alerts_ = Get<int64_t>(h, 40);
  ix.base_locations_ = Get<int64_t>(h, 48);
  ix.base_pos_.sum = h.substr(56, kSumHexLen);
  auto stamp = StatFd(fd->get(), path);
  if (!stamp.ok()) return stamp.status();
  if (ix.base_alerts_ < 0 || ix.base_locations_ < 0 ||
      stamp->size != kHeaderSize +
                         static_cast<uint64_t>(ix.base_alerts_) * (kAlertEntry + kStateEntry) +
                         static_cast<uint64_t>(ix.base_locations_) * kLocationEntry) {
    return Damaged(path, "size does not match its header");
  }
  ix.pos_ = ix.base_pos_;
  ix.fd_ = std::move(fd.value());
  ix.path_ = path;
  return ix;
}

Result<std::optional<Index::Brief>> Index::Find(std::string_view fingerprint_hex) const {
  std::string fp;
  if (!HexDecode(fingerprint_hex, &fp) || fp.size() != kFpBytes) {
    return Status::Invalid("fingerprint is not 64 hex digits");
  }
  std::optional<int64_t> number;
  if (auto it = new_alerts_.find(fp); it != new_alerts_.end()) number = it->second;
  int64_t lo = 0, hi = base_alerts_;
  while (!number && lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    auto e = ReadAt(fd_.get(), kHeaderSize + static_cast<uint64_t>(mid) * kAlertEntry, kAlertEntry,
                    path_);
    if (!e.ok()) return e.status();
    if (e->size() != kAlertEntry ||
        Crc32c(std::string_view(*e).substr(0, 40)) != Get<uint32_t>(*e, 40)) {
      return Damaged(path_, "alert entry " + std::to_string(mid) + " fails its checksum");
    }
    const int c = std::memcmp(fp.data(), e->data(), kFpBytes);
    if (c == 0) {
      number = Get<int64_t>(*e, 32);
    } else if (c < 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (!number) return std::optional<Brief>();
  if (auto it = resolved_.find(*number); it != resolved_.end()) {
    return std::optional<Brief>(Brief{*number, it->second});
  }
  if (*number > base_alerts_) return std::optional<Brief>(Brief{*number, false});
  auto resolved = BaseState(*number);
  if (!resolved.ok()) return resolved.status();
  return std::optional<Brief>(Brief{*number, *resolved});
}

Result<bool> Index::BaseState(int64_t number) const {
  if (number < 1 || number > base_alerts_) {
    return Damaged(path_, "names alert " + std::to_string(number) + " beyond its table");
  }
  const uint64_t at = kHeaderSize + static_cast<uint64_t>(base_alerts_) * kAlertEntry +
                      static_cast<uint64_t>(number - 1) * kStateEntry;
  auto e = ReadAt(fd_.get(), at, kStateEntry, path_);
  if (!e.ok()) return e.status();
  if (e->size() != kStateEntry) return Damaged(path_, "short read");
  const bool resolved = (*e)[0] != 0;
  if (StateCrc(number, resolved) != Get<uint32_t>(*e, 4)) {
    return Damaged(path_, "state entry " + std::to_string(number) + " fails its checksum");
  }
  return resolved;
}

Result<bool> Index::HasLocation(int64_t number, const Location& location) const {
  const std::string key = LocationKey(number, location);
  if (new_locations_.count(key) != 0) return true;
  const uint64_t table =
      kHeaderSize + static_cast<uint64_t>(base_alerts_) * (kAlertEntry + kStateEntry);
  int64_t lo = 0, hi = base_locations_;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    auto e = ReadAt(fd_.get(), table + static_cast<uint64_t>(mid) * kLocationEntry, kLocationEntry,
                    path_);
    if (!e.ok()) return e.status();
    if (e->size() != kLocationEntry ||
        Crc32c(std::string_view(*e).substr(0, kKeyBytes20)) != Get<uint32_t>(*e, kKeyBytes20)) {
      return Damaged(path_, "location entry " + std::to_string(mid) + " fails its checksum");
    }
    const int c = std::memcmp(key.data(), e->data(), kKeyBytes20);
    if (c == 0) return true;
    if (c < 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return false;
}

Status Index::ApplyBatch(std::span<const Event> events, const JournalPos& end) {
  for (const Event& e : events) {
    if (e.type == EventType::kHeader || e.type == EventType::kRepaired) continue;
    if (e.type == EventType::kCreated) {
      if (e.alert != alert_count() + 1) {
        return Status::Corruption("created alert " + std::to_string(e.alert) +
                                  " but the next number is " + std::to_string(alert_count() + 1));
      }
      std::string fp;
      if (!HexDecode(e.fingerprint, &fp) || fp.size() != kFpBytes) {
        return Status::Corruption("fingerprint of alert " + std::to_string(e.alert) +
                                  " is not 64 hex digits");
      }
      new_alerts_.emplace(std::move(fp), e.alert);
      continue;
    }
    if (e.alert < 1 || e.alert > alert_count()) {
      return Status::Corruption(std::string(EventTypeName(e.type)) + " names unknown alert " +
                                std::to_string(e.alert));
    }
    if (e.type == EventType::kLocationCreated) {
      new_locations_.insert(LocationKey(e.alert, e.location));
    } else if (e.type == EventType::kResolved) {
      resolved_[e.alert] = true;
    } else if (e.type == EventType::kReopened) {
      resolved_[e.alert] = false;
    }
  }
  pos_ = end;
  return Status::Ok();
}

Status Index::Save(const Dir& dir, std::string_view name, std::string_view store_id,
                   const FileModes& modes) const {
  const int64_t alerts = alert_count();
  const int64_t locations = base_locations_ + static_cast<int64_t>(new_locations_.size());
  // Fingerprint table: base entries (checked) plus new ones, sorted.
  std::vector<std::pair<std::string, int64_t>> by_fp;
  std::vector<bool> resolved(static_cast<size_t>(alerts), false);
  std::vector<std::string> keys;
  by_fp.reserve(static_cast<size_t>(alerts));
  keys.reserve(static_cast<size_t>(locations));
  if (fd_.valid()) {
    auto base = ReadAt(fd_.get(), kHeaderSize,
                       static_cast<size_t>(base_alerts_) * (kAlertEntry + kStateEntry) +
                           static_cast<size_t>(base_locations_) * kLocationEntry,
                       path_);
    if (!base.ok()) return base.status();
    std::string_view b = *base;
    for (int64_t i = 0; i < base_alerts_; ++i) {
      std::string_view e = b.substr(static_cast<size_t>(i) * kAlertEntry, kAlertEntry);
      if (e.size() != kAlertEntry || Crc32c(e.substr(0, 40)) != Get<uint32_t>(e, 40)) {
        return Damaged(path_, "alert entry " + std::to_string(i) + " fails its checksum");
      }
      by_fp.emplace_back(std::string(e.substr(0, kFpBytes)), Get<int64_t>(e, 32));
    }
    b.remove_prefix(static_cast<size_t>(base_alerts_) * kAlertEntry);
    for (int64_t n = 1; n <= base_alerts_; ++n) {
      std::string_view e = b.substr(static_cast<size_t>(n - 1) * kStateEntry, kStateEntry);
      if (StateCrc(n, e[0] != 0) != Get<uint32_t>(e, 4)) {
        return Damaged(path_, "state entry " + std::to_string(n) + " fails its checksum");
      }
      resolved[static_cast<size_t>(n - 1)] = e[0] != 0;
    }
    b.remove_prefix(static_cast<size_t>(base_alerts_) * kStateEntry);
    for (int64_t i = 0; i < base_locations_; ++i) {
      std::string_view e = b.substr(static_cast<size_t>(i) * kLocationEntry, kLocationEntry);
      if (Crc32c(e.substr(0, kKeyBytes20)) != Get<uint32_t>(e, kKeyBytes20)) {
        return Damaged(path_, "location entry " + std::to_string(i) + " fails its checksum");
      }
      keys.emplace_back(e.substr(0, kKeyBytes20));
    }
  }
  for (const auto& [fp, number] : new_alerts_) by_fp.emplace_back(fp, number);
  for (const auto& [number, r] : resolved_) resolved[static_cast<size_t>(number - 1)] = r;
  keys.insert(keys.end(), new_locations_.begin(), new_locations_.end());
  std::sort(by_fp.begin(), by_fp.end());
  std::sort(keys.begin(), keys.end());

  std::string out(kHeaderSize, '\0');
  out.reserve(kHeaderSize + by_fp.size() * (kAlertEntry + kStateEntry) +
              keys.size() * kLocationEntry);
  std::memcpy(out.data(), kMagic, 8);
  Put<uint32_t>(out, 8, kVersion);
  Put<uint64_t>(out, 16, pos_.offset);
  Put<int64_t>(out, 24, pos_.seq);
  Put<uint64_t>(out, 32, pos_.line_start);
  Put<int64_t>(out, 40, alerts);
  Put<int64_t>(out, 48, locations);
  out.replace(56, kSumHexLen, Fixed(pos_.sum, kSumHexLen));
  out.replace(88, 32, Fixed(store_id, 32));
  Put<uint32_t>(out, 12, Crc32c(out));
  for (const auto& [fp, number] : by_fp) {
    std::string e(kAlertEntry, '\0');
    e.replace(0, kFpBytes, fp);
    Put<int64_t>(e, 32, number);
    Put<uint32_t>(e, 40, Crc32c(std::string_view(e).substr(0, 40)));
    out += e;
  }
  for (int64_t n = 1; n <= alerts; ++n) {
    const bool r = resolved[static_cast<size_t>(n - 1)];
    std::string e(kStateEntry, '\0');
    e[0] = r ? '\1' : '\0';
    Put<uint32_t>(e, 4, StateCrc(n, r));
    out += e;
  }
  for (const std::string& key : keys) {
    std::string e(kLocationEntry, '\0');
    e.replace(0, kKeyBytes20, key);
    Put<uint32_t>(e, kKeyBytes20, Crc32c(key));
    out += e;
  }
  return dir.Replace(name, out, /*durable=*/false, modes);
}

}  // namespace sg::store
