#include "git/pack_order.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include "util/fs.h"

namespace sg::git {
namespace {

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Appends the objects of one pack index, sorted by their offset in the pack.
Status ReadIndex(const std::string& path, std::vector<Oid>& out) {
  auto data = ReadFile(path);
  if (!data.ok()) return data.status();
  const auto* d = reinterpret_cast<const unsigned char*>(data->data());
  const size_t size = data->size();
  if (size < 8 + 256 * 4 || std::memcmp(d, "\377tOc", 4) != 0 || Be32(d + 4) != 2) {
    return Status::Corruption(path + ": not a version 2 pack index");
  }
  const uint32_t n = Be32(d + 8 + 255 * 4);
  const size_t names = 8 + 256 * 4;
  const size_t crcs = names + size_t{n} * 20;
  const size_t offs = crcs + size_t{n} * 4;
  const size_t large = offs + size_t{n} * 4;
  if (large > size) return Status::Corruption(path + ": truncated pack index");
  std::vector<std::pair<uint64_t, uint32_t>> order(n);
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t off = Be32(d + offs + size_t{i} * 4);
    if (off & 0x80000000u) {
      size_t at = large + (off & 0x7fffffffu) * 8;
      if (at + 8 > size) return Status::Corruption(path + ": bad large offset");
      off = (uint64_t{Be32(d + at)} << 32) | Be32(d + at + 4);
    }
    order[i] = {off, i};
  }
  std::sort(order.begin(), order.end());
  for (const auto& [off, i] : order) {
    git_oid raw;
    std::memcpy(raw.id, d + names + size_t{i} * 20, 20);
    out.emplace_back(raw);
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Oid>> ObjectsInPackOrder(const std::string& objects_dir) {
  namespace fs = std::filesystem;
  std::vector<Oid> out;
  std::error_code ec;
  std::vector<std::string> indexes;
  for (const auto& e : fs::directory_iterator(objects_dir + "/pack", ec)) {
    if (e.path().extension() == ".idx") indexes.push_back(e.path().string());
  }
  std::sort(indexes.begin(), indexes.end());
  for (const auto& idx : indexes) SG_RETURN_IF_ERROR(ReadIndex(idx, out));
  for (const auto& dir : fs::directory_iterator(objects_dir, ec)) {
    std::string name = dir.path().filename().string();
    if (name.size() != 2 || !dir.is_directory() || !std::isxdigit(name[0]) || !std::isxdigit(name[1])) {
      continue;
    }
    std::error_code ec2;
    for (const auto& f : fs::directory_iterator(dir.path(), ec2)) {
      Oid oid;
      if (Oid::FromHex(name + f.path().filename().string(), &oid)) out.push_back(oid);
    }
  }
  // An object may sit in two packs (or a pack and loose); each is scanned once.
  std::vector<Oid> sorted = out;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    std::vector<Oid> unique;
    std::set<Oid> seen;
    for (const auto& o : out) {
      if (seen.insert(o).second) unique.push_back(o);
    }
    out = std::move(unique);
  }
  return out;
}

}  // namespace sg::git
