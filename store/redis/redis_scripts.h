#ifndef KV_STORE_REDIS_REDIS_SCRIPTS_H_
#define KV_STORE_REDIS_REDIS_SCRIPTS_H_

// The Lua scripts the Redis driver runs with EVALSHA. A script runs
// atomically in Redis (no other command runs in between), which is what
// makes a conditional write, an increment and a batch atomic without WATCH,
// whichever pooled connection runs it and however many kvd processes share
// the Redis.
//
// Layout (docs/drivers.md, "How keys are laid out in Redis"): key K of store
// NAME is the hash `kvd:{NAME}:K` with field `v` (the value's bytes) and
// field `r` (the revision of the write that last changed it, decimal). The
// store's revision counter is the string `kvd:{NAME}#revision`, moved with
// INCRBY. A key written before revisions existed is a plain string at the
// same name (the old layout); every script converts such a key it touches to
// a hash with a fresh revision before anything else ("lazy upgrade").
//
// Every Redis key a script touches is passed in KEYS (never built inside
// it), and all of them share the {NAME} hash tag: one Redis Cluster slot.
// KEYS[1] is always the revision counter.
//
// No script does int64 arithmetic on Lua numbers (doubles, exact only up to
// 2^53): revisions are handled as decimal strings, increments run Redis's
// own HINCRBY, and the overflow check compares decimal strings against a
// bound the driver computed exactly in C++.

#include <string>

#include "absl/strings/string_view.h"

namespace kv {

struct RedisScript {
  // For messages, e.g. "write script".
  absl::string_view name;
  std::string source;
};

// KEYS: the counter, then the Redis key of each mutation, in order.
// ARGV: four per mutation, in order: kind ("set", "del" or "incr"), the
// condition (decimal if_revision, "" for none), then
//   set:  the value, ""
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
// text for an incr, "" otherwise. A key of another Redis type (a list, ...)
// makes the script fail with Redis's WRONGTYPE error before it applies
// anything.
const RedisScript& WriteScript();

// KEYS: the counter, then the keys to read. No ARGV. Returns two elements
// per key, in order: its value and revision, or two nils if absent ("" for
// a field missing from a hash that kvd did not write). Reads everything in
// one atomic step: one snapshot.
const RedisScript& GetManyScript();

// KEYS: the counter, then one key. Upgrades the key if it is in the old
// layout; returns 1 if it did, 0 otherwise.
const RedisScript& UpgradeScript();

}  // namespace kv

#endif  // KV_STORE_REDIS_REDIS_SCRIPTS_H_
