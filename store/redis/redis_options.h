#ifndef KV_STORE_REDIS_REDIS_OPTIONS_H_
#define KV_STORE_REDIS_REDIS_OPTIONS_H_

// The config of a store with `type = "redis"`, parsed and checked before
// anything touches the network.
//
// Config fields of `[key_value_store.NAME]`:
//   url        Required. `redis://[USER:PASSWORD@]HOST[:PORT][/DB]` (PORT
//              defaults to 6379, DB to 0; an IPv6 HOST goes in brackets;
//              USER and PASSWORD may be percent-encoded, and USER may be
//              empty for a password-only AUTH), or
//              `unix:/path/to/redis.sock[?db=N]`.
//   timeout    The deadline of every call to Redis, connecting included: a
//              duration such as "2s" or "500ms". Default "2s".
//   pool_size  How many connections a store keeps to Redis: 1 to 1024,
//              default 8. A call waits (up to `timeout`) for a free one.
//
// A bad field gives InvalidArgument naming the store and the field. No
// message ever contains the password, not even for a malformed URL.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/registry.h"

namespace kv {

struct RedisOptions {
  // The store's name, for messages and for the key prefix.
  std::string store_name;

  // Where Redis listens: a TCP host and port, or a unix socket path.
  enum class Transport { kTcp, kUnix };
  Transport transport = Transport::kTcp;
  std::string host;         // kTcp; an IPv6 address without its brackets.
  int port = 6379;          // kTcp
  std::string socket_path;  // kUnix, absolute.

  // AUTH [user] password, sent on every new connection when `password` is
  // not empty. An empty `user` sends the one-argument (legacy) form.
  std::string user;
  std::string password;

  // The logical database, SELECTed on every new connection.
  int db = 0;

  absl::Duration timeout = absl::Seconds(2);
  int pool_size = 8;

  // The server for messages, without credentials: "127.0.0.1:6379",
  // "[::1]:6379" or "unix:/run/redis.sock".
  std::string address;
  // The URL rebuilt from the parts above, with the password as "***":
  // what Driver::Location() shows.
  std::string redacted_url;
  // Every key of this store is stored in Redis as key_prefix + key:
  // "kvd:{NAME}:". The braces make NAME the Redis Cluster hash tag, and
  // since NAME cannot contain '}', no store's prefix is a prefix of
  // another's.
  std::string key_prefix;
  // The store's revision counter: "kvd:{NAME}#revision". Outside key_prefix,
  // so no key of the store can name it and listings never see it, but in
  // the same hash tag, so a script may touch it and the store's keys in one
  // Redis Cluster slot.
  std::string revision_key;
  // The store's other internal keys, named like the counter (outside
  // key_prefix, inside the hash tag; redis_driver.h describes them):
  // "kvd:{NAME}#keys", the ordered index of the store's keys;
  // "kvd:{NAME}#expiry", its keys that expire, by expiry time;
  // "kvd:{NAME}#layout", the layout version the store has been upgraded to.
  std::string index_key;
  std::string expiry_key;
  std::string layout_key;
};

// Reads the `url`, `timeout` and `pool_size` fields of `spec`. Returns
// InvalidArgument naming the store and the field if one is missing or bad.
absl::StatusOr<RedisOptions> RedisOptionsFromSpec(const StoreSpec& spec);

// The key prefix of the store named `store_name`, or InvalidArgument if the
// name cannot be used in one (it is empty or contains '}').
absl::StatusOr<std::string> RedisKeyPrefix(const std::string& store_name);

// The revision counter key of the store named `store_name` (which
// RedisKeyPrefix accepts).
std::string RedisRevisionKey(const std::string& store_name);

// The internal key `what` of the store named `store_name`:
// "kvd:{NAME}#WHAT" ("keys", "expiry", "layout"; "revision" is the counter).
std::string RedisStoreKey(const std::string& store_name,
                          absl::string_view what);

}  // namespace kv

#endif  // KV_STORE_REDIS_REDIS_OPTIONS_H_
