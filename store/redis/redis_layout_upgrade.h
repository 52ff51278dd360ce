#ifndef KV_STORE_REDIS_REDIS_LAYOUT_UPGRADE_H_
#define KV_STORE_REDIS_REDIS_LAYOUT_UPGRADE_H_

// Brings a store written by an earlier kvd up to the current layout when a
// driver opens it. Layout versions, kept in the marker `kvd:{NAME}#layout`:
//   absent  written by a kvd before the indexes: hashes {v, r} (or, older
//           still, plain strings) and no #keys or #expiry index;
//   2       the current layout (redis_scripts.h): every key in #keys, every
//           expiring key in #expiry.
// The upgrade SCANs the database for the store's keys (MATCH on the
// glob-escaped prefix, 1000 per round trip, each with a `timeout` of its
// own) and indexes each batch with the index script, which skips a key
// deleted since the SCAN, so a delete by another (already upgraded) kvd is
// never undone; then it raises the marker. A marker at or above 2 skips it
// all: one GET per open. Two drivers upgrading at once both index the same
// keys, which changes nothing (ZADD of a member already there), and both
// raise the marker to the same version. Values are not rewritten: plain
// strings stay for the lazy upgrade of the write and read scripts.

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "store/redis/redis_connection_pool.h"
#include "store/redis/redis_options.h"

namespace kv {

// The layout this driver writes, and the marker's value once upgraded.
inline constexpr int kRedisLayoutVersion = 2;

// Runs the index script (redis_scripts.h) on the lease with `keys` and
// `args`, by `deadline`.
using RedisIndexScriptRunner = absl::FunctionRef<absl::StatusOr<RedisReply>(
    absl::Span<const absl::string_view> keys,
    absl::Span<const absl::string_view> args, absl::Time deadline)>;

// Upgrades the store of `options` on `lease`'s connection if its marker is
// below kRedisLayoutVersion (see above). Errors name the store and say
// "cannot upgrade the store in Redis at ADDR".
absl::Status UpgradeRedisLayout(RedisConnectionPool& pool,
                                RedisConnectionPool::Lease& lease,
                                const RedisOptions& options,
                                RedisIndexScriptRunner run_index_script);

}  // namespace kv

#endif  // KV_STORE_REDIS_REDIS_LAYOUT_UPGRADE_H_
