#ifndef KV_STORE_REDIS_REDIS_DRIVER_H_
#define KV_STORE_REDIS_REDIS_DRIVER_H_

// Driver type "redis": a store kept in a Redis server, through hiredis.
// Linking this library registers the type. See redis_options.h for the
// config fields and docs/drivers.md for operating it.
//
// Layout: key K of store NAME is the Redis hash `kvd:{NAME}:K` with fields
// v (the value) and r (its revision), with Redis's own expiry when it has a
// ttl; the store's revision counter is the string `kvd:{NAME}#revision`, its
// ordered index the sorted set `kvd:{NAME}#keys`, its expiry index the
// sorted set `kvd:{NAME}#expiry`, and its layout version the string
// `kvd:{NAME}#layout` (redis_scripts.h describes each). So any number of
// stores share one Redis (and one database) without ever seeing each
// other's keys, and all of a store's keys share one Redis Cluster hash slot.
// Exists is EXISTS and CurrentRevision is GET of the counter; Get, GetMany,
// Write, ListKeyPage and ReclaimExpired are Lua scripts run with EVALSHA,
// so each is atomic however many connections and kvd processes share the
// Redis, and the indexes never disagree with a write.
//
// Expiry is the server's: a ttl counts from the Redis server's TIME, and
// Redis itself makes an expired key absent (and frees it); ReclaimExpired
// then removes its index entries. A listing reads #keys by ZRANGEBYLEX,
// never SCANs. A store written by an earlier kvd is upgraded when a driver
// opens it (redis_layout_upgrade.h): its keys are indexed once. A key
// written before revisions existed (a plain string) is upgraded to a hash
// with a fresh revision the first time a Get, GetMany or Write touches it.
//
// Connections: a fixed pool of `pool_size`. A call waits for a free
// connection, connects it if needed (AUTH, SELECT), and runs its command,
// all within `timeout` (each script call of a page of keys, and each SCAN
// of a layout upgrade, gets a `timeout` of its own). The command's share is
// enforced with socket timeouts, which bound each read and write: a server that
// trickles a reply out can stretch a call, one that stops answering cannot.
// Host names are resolved without a timeout. A connection that failed with an
// I/O error or a timeout is closed, and one the server has closed while idle is
// noticed before use; either way the next call connects again, so the driver
// recovers from a Redis restart by itself.
//
// Errors: every message names the store, what failed and the server
// address, never the password, e.g.
//   store "sessions": cannot reach Redis at 127.0.0.1:6390: Connection refused
//   store "sessions": cannot read from Redis at 127.0.0.1:6390: no reply
//       within the 2s timeout
// Unreachable, timed out, connection lost, no free connection in time, and
// the server replying LOADING, BUSY or MASTERDOWN give Unavailable; a
// malformed config gives InvalidArgument (from RedisOptionsFromSpec);
// anything else (a refused AUTH, a key holding another Redis type, ...)
// gives Internal.

#include <memory>

#include "absl/status/statusor.h"
#include "store/driver.h"
#include "store/redis/redis_options.h"

namespace kv {

// Connects one pooled connection (so an unreachable or misconfigured server
// fails here, within `options.timeout`), upgrades the store's layout if an
// earlier kvd wrote it, and returns the driver. This is what
// the registered "redis" type runs after RedisOptionsFromSpec.
absl::StatusOr<std::unique_ptr<Driver>> OpenRedisDriver(
    const RedisOptions& options);

}  // namespace kv

#endif  // KV_STORE_REDIS_REDIS_DRIVER_H_
