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
};

// Room for a message's framing besides its key and value.
inline constexpr size_t kMessageOverheadBytes = 16 << 10;

// The largest request the server must accept: a Set of the largest key and
// value.
inline size_t MaxRequestBytes(const Limits& limits) {
  return limits.max_key_bytes + limits.max_value_bytes + kMessageOverheadBytes;
}

// The largest response the server may send: a Get of the largest value, or
// the largest GetKeys listing.
inline size_t MaxResponseBytes(const Limits& limits) {
  size_t get = limits.max_value_bytes + kMessageOverheadBytes;
  return get > limits.max_get_keys_bytes ? get : limits.max_get_keys_bytes;
}

}  // namespace kv

#endif  // KV_SERVICE_LIMITS_H_
