#ifndef KV_CLIENTS_CPP_STORE_TYPES_H_
#define KV_CLIENTS_CPP_STORE_TYPES_H_

// What kvd::Store's revision, counter, batch, expiry, listing and Describe
// calls take and return (store.h). Revisions are uint64_t, as on the wire: a
// store-wide number that grows with every write and is never reused, so a
// key's revision names one version of it. Expiry is std::chrono: a ttl is
// a kvd::Ttl (any std::chrono duration), an expire time a
// std::chrono::system_clock::time_point.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "kv/v1/kv.pb.h"

namespace kvd {

// How long a key lives after a write. Any std::chrono duration converts to
// it (std::chrono::seconds(30), 1500ms, std::chrono::hours(24)) and is sent
// as it is: kvd counts whole milliseconds (it drops a finer part) and
// refuses less than 1 ms or more than the store's max_ttl.
using Ttl = std::chrono::nanoseconds;

// When a key expires (by the backend's clock); std::nullopt: it does not.
using ExpireTime = std::optional<std::chrono::system_clock::time_point>;

// A value with the revision of the write that last changed it (GetEntry).
struct Versioned {
  std::string value;
  uint64_t revision = 0;
  // When the key expires; std::nullopt if it does not.
  ExpireTime expire_time;
};

// One key as GetMany read it.
struct Entry {
  std::string key;
  // Whether the key has a value; if not, `value` is empty and `revision` 0.
  bool found = false;
  std::string value;
  uint64_t revision = 0;
  // When the key expires; std::nullopt if it does not (or was not found).
  ExpireTime expire_time;
};

// One write of SetMany.
struct SetEntry {
  std::string key;
  std::string value;
  // Unset: unconditional. Set: the whole batch applies only if this key is
  // at this revision (0: only if it is absent).
  std::optional<uint64_t> if_revision;
  // Set: the key expires this long after the batch is written (at least
  // 1 ms, at most StoreInfo::max_ttl; else the batch fails with IO and
  // INVALID_ARGUMENT). Unset: it never expires, and an earlier expiry is
  // cleared.
  std::optional<Ttl> ttl;
};

// One page of ListKeysPage.
struct KeyPage {
  // Keys that start with the prefix, in ascending byte order, each after
  // every key of the earlier pages.
  std::vector<std::string> keys;
  // Pass to the next ListKeysPage call; empty on the last page. Opaque.
  std::string next_page_token;
};

// ListKeys' function: called with each key in turn; returning false stops
// the listing (no further page is fetched). The view is valid only during
// the call.
using KeyVisitor = std::function<bool(std::string_view key)>;

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
  // The longest ttl a write may give (0 if kvd did not say: an older kvd).
  std::chrono::milliseconds max_ttl{0};
  // The most keys one ListKeys page holds (a larger page_size is lowered to
  // it); 0 if kvd did not say.
  uint32_t max_page_size = 0;
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
