// The repositories `secretgate serve` answers for, and their alert stores.
//
// Names map to paths under the root as GitHub's owner/repo do to a forge's layout:
// "owner/repo" is the bare repository <root>/owner/repo.git (README "Serving alerts"). Both parts
// must be 1-100 of [A-Za-z0-9._-], not starting with '.', so no name can leave the root.
//
// Each repository's Store is opened once, on first use, the way the hook and the CLI open it
// (the caller's `open`: config file plus the repository's git config, pending records of the
// repository's spool applied), and kept: the
// store then catches up with what pushes appended on every call, under the store's own flock,
// so the server and concurrent pushes never lose each other's records. A store that reported
// an I/O error or damage is dropped and reopened on the next request.
// Thread-safe: one Catalog serves all request threads; a repository's Store is used by one
// thread at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"
#include "util/status.h"

namespace sg::server {

struct RepoRef {
  std::string owner, name;
  std::string git_dir;  // <root>/owner/name.git
  std::string full_name() const { return owner + "/" + name; }
};

// True for a valid owner or repository name part.
bool ValidNamePart(std::string_view s);

class Catalog {
 public:
  // Opens the store of the repository at `git_dir`; nullopt when it has none and !create.
  using Opener =
      std::function<Result<std::optional<store::Store>>(const std::string& git_dir, bool create)>;
  Catalog(std::string root, Opener open);

  const std::string& root() const { return root_; }

  // NotFound for a bad name or a missing repository.
  Result<RepoRef> Find(std::string_view owner, std::string_view name) const;
  // Every <root>/*/*.git directory (of valid names), sorted by full name.
  std::vector<RepoRef> All() const;

  // Runs `fn` with the repository's store. A repository that has no store yet (nothing was ever
  // recorded) gets nullptr, and no store is created, unless `create`.
  Status WithStore(const RepoRef& repo, bool create,
                   const std::function<Status(store::Store*)>& fn);

 private:
  struct Entry {
    std::mutex mu;
    std::optional<store::Store> store;
  };
  Entry& EntryFor(const std::string& git_dir);
  std::string root_;
  Opener open_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace sg::server
