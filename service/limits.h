#ifndef KV_SERVICE_LIMITS_H_
#define KV_SERVICE_LIMITS_H_

#include <cstddef>

#include "absl/time/time.h"

namespace kv {

// The service's limits, from the runtime config's [limits] table. The
// defaults are Spin's: it documents them as minimums every store supports.
struct Limits {
  // Longest key, in bytes.
  size_t max_key_bytes = 256;
  // Largest value, in bytes.
  size_t max_value_bytes = 1 << 20;
  // Open store handles one principal may hold at once.
  size_t max_open_stores = 256;
  // A handle unused for this long is reclaimed, so crashed clients do not
  // exhaust their table.
  absl::Duration idle_timeout = absl::Hours(1);
  // Largest GetKeys response. gRPC clients reject messages over 4 MiB unless
  // configured otherwise, so by default a response stays just under that.
  size_t max_get_keys_bytes = (4 << 20) - (16 << 10);
  // Most entries in one GetMany, SetMany or DeleteMany.
  size_t max_batch_entries = 1000;
  // Most key and value bytes in one batch request, or in a GetMany response.
  // The default keeps a batch under gRPC clients' default 4 MiB message
  // limit.
  size_t max_batch_bytes = (4 << 20) - (16 << 10);
  // Most keys in one ListKeys page; a larger page_size is lowered to it.
  size_t max_page_size = 10000;
  // Longest ttl a write may give: 10 years of 365 days.
  absl::Duration max_ttl = absl::Hours(24 * 3650);
};

// ListKeys' page size when the request gives none.
inline constexpr size_t kDefaultPageSize = 1000;

// Room for a message's framing besides its key and value.
inline constexpr size_t kMessageOverheadBytes = 16 << 10;

// Framing of one batch entry besides its key and value: tags, lengths and a
// revision.
inline constexpr size_t kBatchEntryOverheadBytes = 32;

// The largest batch message the limits allow: every entry's framing plus
// the batch's bytes.
inline size_t MaxBatchMessageBytes(const Limits& limits) {
  return limits.max_batch_bytes +
         limits.max_batch_entries * kBatchEntryOverheadBytes +
         kMessageOverheadBytes;
}

// The largest request the server must accept: a Set of the largest key and
// value, or the largest batch.
inline size_t MaxRequestBytes(const Limits& limits) {
  size_t set =
      limits.max_key_bytes + limits.max_value_bytes + kMessageOverheadBytes;
  size_t batch = MaxBatchMessageBytes(limits);
  return set > batch ? set : batch;
}

// The largest response the server may send: a Get of the largest value, the
// largest GetKeys listing, or the largest GetMany.
inline size_t MaxResponseBytes(const Limits& limits) {
  size_t largest = limits.max_value_bytes + kMessageOverheadBytes;
  if (limits.max_get_keys_bytes > largest) largest = limits.max_get_keys_bytes;
  size_t batch = MaxBatchMessageBytes(limits);
  return batch > largest ? batch : largest;
}

}  // namespace kv

#endif  // KV_SERVICE_LIMITS_H_
