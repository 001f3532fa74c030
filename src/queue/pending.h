// The pending-records spool: findings a push (or a scan) could not record in the alert store.
// When the store cannot take them (lock held too long, directory of another user, damage, a root
// created by root, a full disk), the hook still decides the push from the scan; what it found is
// written here, durably, before git hears the answer, and applied to the store the next time
// the store opens (a push, drain, notify or any CLI command; cli/record.h).
//
// One file per failed recording in <git-dir>/secretgate-pending/ (directory 0700, or 02770 with
// a store group; files 0600 / 0660), outside the store's own directory so that a store another
// user owns cannot take the spool down with it. Each file is JSON with a SHA-256 of its body:
//   {"format":"secretgate-pending","version":1,"id":...,"created_at":...,"reason":...,
//    "actor":...,"bypass":{reason,comment,actor}|null,"observations":[{rule_id, display_name,
//    provider, secret_sealed, secret_redacted, location{...}}],"sum":"<sha256 of the rest>"}
// Secrets are sealed (AES-256-GCM, util/seal.h) under the spool's own key (<spool>/key, 0600),
// so no plain secret is ever written. This keeps secrets out of backups, copies and greps of the
// spool; it does not protect them from whoever can read the hook user's files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"

namespace sg::queue {

struct Pending {
  std::string id;  // file name (set by WritePending)
  std::string created_at;
  std::string reason;  // why the store could not record
  std::string actor;   // who the timeline names
  std::optional<store::Bypass> bypass;
  std::vector<store::Observation> observations;  // with plain secrets, in memory only
};

// <git-dir>/secretgate-pending
std::string SpoolDir(const std::string& git_dir);

// Writes `p` durably (temporary file, fsync, rename, fsync directory). `gid` >= 0 shares the
// spool with that group. Sets p.id.
Status WritePending(const std::string& spool_dir, Pending& p, int gid = -1);

// The spool's entries, oldest first. An entry that cannot be read, fails its checksum or whose
// secrets cannot be unsealed comes back as a non-ok Result naming it (and stays on disk).
struct PendingEntry {
  std::string id;
  Result<Pending> pending;
};
std::vector<PendingEntry> ListPending(const std::string& spool_dir);

// True when the spool holds at least one entry (one readdir; cheap on every store open).
bool HasPending(const std::string& spool_dir);

Status RemovePending(const std::string& spool_dir, const std::string& id);

}  // namespace sg::queue
