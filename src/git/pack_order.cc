#include "git/pack_order.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "util/fs.h"

namespace sg::git {
namespace {

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

constexpr size_t kFanout = 8;                 // magic and version
constexpr size_t kNames = kFanout + 256 * 4;  // after the fan-out table

}  // namespace

Result<PackIndex> PackIndex::Load(const std::string& path) {
  PackIndex idx;
  idx.path_ = path;
  auto data = ReadFile(path);
  if (!data.ok()) return data.status();
  idx.data_ = std::move(*data);
  const auto* d = reinterpret_cast<const unsigned char*>(idx.data_.data());
  const size_t size = idx.data_.size();
  if (size < kNames || std::memcmp(d, "\377tOc", 4) != 0 || Be32(d + 4) != 2) {
    return Status::Corruption(path + ": not a version 2 pack index");
  }
  idx.count_ = Be32(d + kFanout + 255 * 4);
  const size_t large = kNames + size_t{idx.count_} * 28;  // names, CRCs, offsets
  if (large > size) return Status::Corruption(path + ": truncated pack index");
  for (uint32_t i = 0; i < idx.count_; ++i) {
    uint32_t off = Be32(d + kNames + size_t{idx.count_} * 24 + size_t{i} * 4);
    if ((off & 0x80000000u) && large + (off & 0x7fffffffu) * 8 + 8 > size) {
      return Status::Corruption(path + ": bad large offset");
    }
  }
  return idx;
}

Oid PackIndex::oid(uint32_t i) const {
  git_oid raw;
  std::memcpy(raw.id, data_.data() + kNames + size_t{i} * 20, 20);
  return Oid(raw);
}

uint64_t PackIndex::offset(uint32_t i) const {
  const auto* d = reinterpret_cast<const unsigned char*>(data_.data());
  uint64_t off = Be32(d + kNames + size_t{count_} * 24 + size_t{i} * 4);
  if (off & 0x80000000u) {
    size_t at = kNames + size_t{count_} * 28 + (off & 0x7fffffffu) * 8;
    off = (uint64_t{Be32(d + at)} << 32) | Be32(d + at + 4);
  }
  return off;
}

int64_t PackIndex::Find(const git_oid& id) const {
  const auto* names = reinterpret_cast<const unsigned char*>(data_.data()) + kNames;
  int64_t lo = 0, hi = static_cast<int64_t>(count_);
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    int c = std::memcmp(names + mid * 20, id.id, 20);
    if (c == 0) return mid;
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return -1;
}

std::vector<std::string> PackIndexPaths(const std::string& objects_dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(objects_dir + "/pack", ec)) {
    if (e.path().extension() == ".idx") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Oid> LooseObjects(const std::string& objects_dir) {
  namespace fs = std::filesystem;
  std::vector<Oid> out;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(objects_dir, ec)) {
    std::string name = dir.path().filename().string();
    if (name.size() != 2 || !dir.is_directory() || !std::isxdigit(name[0]) ||
        !std::isxdigit(name[1])) {
      continue;
    }
    std::error_code ec2;
    for (const auto& f : fs::directory_iterator(dir.path(), ec2)) {
      Oid oid;
      if (Oid::FromHex(name + f.path().filename().string(), &oid)) out.push_back(oid);
    }
  }
  return out;
}

Result<std::vector<Oid>> ObjectsInPackOrder(const std::string& objects_dir) {
  std::vector<Oid> out;
  for (const auto& path : PackIndexPaths(objects_dir)) {
    auto idx = PackIndex::Load(path);
    if (!idx.ok()) return idx.status();
    std::vector<std::pair<uint64_t, uint32_t>> order(idx->count());
    for (uint32_t i = 0; i < idx->count(); ++i) order[i] = {idx->offset(i), i};
    std::sort(order.begin(), order.end());
    for (const auto& [off, i] : order) out.push_back(idx->oid(i));
  }
  for (const auto& oid : LooseObjects(objects_dir)) out.push_back(oid);
  // An object may sit in two packs (or a pack and loose); each is listed once.
  std::unordered_set<Oid, OidHash> seen;
  seen.reserve(out.size());
  std::vector<Oid> unique;
  unique.reserve(out.size());
  for (const auto& o : out) {
    if (seen.insert(o).second) unique.push_back(o);
  }
  return unique;
}

}  // namespace sg::git
