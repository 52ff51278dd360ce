#ifndef KV_CLIENTS_CPP_STORE_TYPES_H_
#define KV_CLIENTS_CPP_STORE_TYPES_H_

// What kvd::Store's revision, counter, batch and Describe calls take and
// return (store.h). Revisions are uint64_t, as on the wire: a store-wide
// number that grows with every write and is never reused, so a key's
// revision names one version of it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kv/v1/kv.pb.h"

namespace kvd {

// A value with the revision of the write that last changed it (GetEntry).
struct Versioned {
  std::string value;
  uint64_t revision = 0;
};

// One key as GetMany read it.
struct Entry {
  std::string key;
  // Whether the key has a value; if not, `value` is empty and `revision` 0.
  bool found = false;
  std::string value;
  uint64_t revision = 0;
};

// One write of SetMany.
struct SetEntry {
  std::string key;
  std::string value;
  // Unset: unconditional. Set: the whole batch applies only if this key is
  // at this revision (0: only if it is absent).
  std::optional<uint64_t> if_revision;
};

// A counter after Increment.
struct Counter {
  // The new value.
  int64_t value = 0;
  // The revision the increment gave the key.
  uint64_t revision = 0;
};

// What Describe says about a store.
struct StoreInfo {
  // The store's name, as passed to Open.
  std::string name;
  // The driver type: "sqlite", "memory", "redis", "postgres".
  std::string driver;
  // What an acknowledged write survives.
  kv::v1::Durability durability = kv::v1::DURABILITY_UNSPECIFIED;
  // The sizes requests must keep to, in bytes and entries.
  uint64_t max_key_bytes = 0;
  uint64_t max_value_bytes = 0;
  uint64_t max_batch_entries = 0;
  uint64_t max_batch_bytes = 0;
  // The store's current revision: at least every revision any write has
  // returned, and below every revision a later write will get (it may be
  // above the last write's: PostgreSQL spends revisions on failed writes).
  uint64_t revision = 0;
  // What the store can do beyond Spin's seven operations.
  std::vector<kv::v1::Capability> capabilities;
  // Whether the handle was opened through a read-only grant.
  bool read_only = false;

  bool Has(kv::v1::Capability capability) const {
    for (kv::v1::Capability c : capabilities) {
      if (c == capability) return true;
    }
    return false;
  }
};

// The caller's function of Update: the key's value (nullopt when absent) to
// its new value, or an error, which ends the update at once.
using UpdateFunction = std::function<absl::StatusOr<std::string>(
    const std::optional<std::string>& current)>;

// Update's attempts in all when the caller names none.
inline constexpr int kDefaultUpdateAttempts = 10;

}  // namespace kvd

#endif  // KV_CLIENTS_CPP_STORE_TYPES_H_
