#ifndef KV_STORE_REDIS_REDIS_SCRIPTS_H_
#define KV_STORE_REDIS_REDIS_SCRIPTS_H_

// The Lua scripts the Redis driver runs with EVALSHA. A script runs
// atomically in Redis (no other command runs in between), which is what
// makes a conditional write, an increment and a batch atomic without WATCH,
// whichever pooled connection runs it and however many kvd processes share
// the Redis, and what keeps the store's indexes in step with its keys.
//
// Layout (docs/drivers.md, "How keys are laid out in Redis"): key K of store
// NAME is the hash `kvd:{NAME}:K` with field `v` (the value's bytes) and
// field `r` (the revision of the write that last changed it, decimal), and
// a key that expires carries Redis's own expiry (PEXPIREAT). The store's
// internal keys sit outside that prefix:
//   kvd:{NAME}#revision  the revision counter, a string moved with INCRBY;
//   kvd:{NAME}#keys      the ordered index: a sorted set holding every key
//                        K (its bytes, without the prefix) with score 0, so
//                        ZRANGEBYLEX walks the keys in byte order;
//   kvd:{NAME}#expiry    the expiry index: a sorted set holding every key
//                        that expires, scored by its expiry time in Unix ms;
//   kvd:{NAME}#layout    the layout version (redis_layout_upgrade.h).
// The index entries of a key that has expired stay until ReclaimExpired's
// script removes them; every reader checks the value key itself, which
// Redis makes absent the moment it expires.
//
// A key written before revisions existed is a plain string at the same
// name (the oldest layout); the write and read scripts convert such a key
// they touch to a hash with a fresh revision before anything else ("lazy
// upgrade").
//
// Every Redis key a script is given in KEYS shares the {NAME} hash tag: one
// Redis Cluster slot. The write and read scripts touch only keys in KEYS;
// the list, reclaim and index scripts also touch value keys named by index
// entries (KEY_PREFIX + member), which they cannot know beforehand; those
// are in the same hash tag, hence the same slot.
//
// Time: the scripts that set or judge an expiry read the server's clock
// (TIME), never kvd's, so every kvd sharing the Redis agrees.
//
// No script does int64 arithmetic on Lua numbers (doubles, exact only up to
// 2^53): revisions are handled as decimal strings, increments run Redis's
// own HINCRBY, and the overflow check compares decimal strings against a
// bound the driver computed exactly in C++. Times in milliseconds (about
// 2^41) are exact as doubles.

#include <string>

#include "absl/strings/string_view.h"

namespace kv {

struct RedisScript {
  // For messages, e.g. "write script".
  absl::string_view name;
  std::string source;
};

// KEYS: the counter, the #keys index, the #expiry index, then the Redis key
// of each mutation, in order.
// ARGV: the byte length of the store's key prefix (so a script can name a
// key's index member), then four per mutation, in order: kind ("set", "del"
// or "incr"), the condition (decimal if_revision, "" for none), then
//   set:  the value, and the ttl in milliseconds (decimal, at least 1; ""
//         for none, which clears an earlier expiry)
//   del:  "", ""
//   incr: the delta (decimal), and the bound the value before the
//         increment must not pass: for delta > 0, the value must be at most
//         INT64_MAX - delta; for delta < 0, at least INT64_MIN - delta; ""
//         for delta 0.
// It first checks every mutation in order (and upgrades old-layout keys),
// and stops at the first that cannot apply, having applied nothing:
//   {"condition", INDEX, CURRENT}  the condition failed; CURRENT is the
//                                  key's revision, "0" if absent
//   {"not_integer", INDEX}         an incr found a non-counter value
//   {"overflow", INDEX}            an incr would leave int64
//   {"layout", INDEX}              a hash without field r at that key
//   {"counter", TEXT}              the counter holds TEXT, not a revision
// INDEX counts from 0. Otherwise it applies every mutation and returns
//   {"ok", REVISION_0, VALUE_0, REVISION_1, VALUE_1, ...}
// with REVISION "0" for a del of an absent key, and VALUE the counter's new
// text for an incr, "" otherwise. A set with a ttl expires at the server's
// TIME (read once per script, so a batch shares it) + ttl, truncated to the
// millisecond: PEXPIREAT on the key and the same score in #expiry. A set
// without one PERSISTs the key and leaves #expiry; an incr keeps the key's
// expiry (an incr that creates the key gives it none). Every set and incr
// puts the key in #keys; a del takes it out of both indexes (also for an
// absent key: the leftovers of one that expired). A key of another Redis
// type (a list, ...) makes the script fail with Redis's WRONGTYPE error
// before it applies anything.
const RedisScript& WriteScript();

// KEYS: the counter, then the keys to read. No ARGV. Returns three elements
// per key, in order: its value, revision and expiry time (PEXPIRETIME: Unix
// ms, -1 for none), or three nils if absent ("" for a field missing from a
// hash that kvd did not write). Reads everything in one atomic step: one
// snapshot. Get is this script on one key.
const RedisScript& ReadScript();

// One stretch of a page of keys. KEYS: the #keys index. ARGV: the range's
// start and end as ZRANGEBYLEX takes them ("-", "[FROM" or "(AFTER"; "+" or
// "(END"), how many present keys to find (at least 1), the most index
// entries to examine (at least that many), and the store's key prefix.
// Walks the range in byte order and keeps the entries whose value key
// exists (an expired key's entry is skipped). Returns
//   {ENDED, LAST, KEY...}
// with the keys found (at most the number asked for), ENDED 1 if the range
// ran out, and LAST the last entry examined ("" if none), after which the
// next stretch starts when the examining budget ran out first.
const RedisScript& ListScript();

// KEYS: the #keys index, the #expiry index. ARGV: the most keys to reclaim
// (at least 1), the most #expiry entries to examine, and the store's key
// prefix. Takes the #expiry entries whose time (score) is at or before the
// server's TIME, oldest first; an entry whose value key is gone (expired,
// or deleted around kvd) is removed with the key's #keys entry; an entry
// whose key exists with another expiry (written again around kvd) is
// removed alone; the entry of a key that exists and expires at that very
// time is kept. Returns how many keys it removed from #keys.
const RedisScript& ReclaimScript();

// The layout upgrade (redis_layout_upgrade.h). KEYS: the #keys index, the
// #expiry index, the layout marker, then value keys of the store (found by
// SCAN). ARGV: the byte length of the key prefix, and a layout version to
// raise the marker to after this batch ("" for none). Indexes each given
// key that still exists (one deleted since the SCAN is not put back), with
// its expiry if it has one, then raises the marker, never lowering it.
// Returns how many keys it added to #keys.
const RedisScript& IndexScript();

}  // namespace kv

#endif  // KV_STORE_REDIS_REDIS_SCRIPTS_H_
