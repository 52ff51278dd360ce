#ifndef KV_STORE_SQLITE_SQLITE_INCREMENT_H_
#define KV_STORE_SQLITE_SQLITE_INCREMENT_H_

// The SQL function kv_add(value, delta) that lets the writer increment a
// counter in one statement,
//   UPDATE kv SET revision = ?2, value = kv_add(value, ?3) WHERE key = ?1
// instead of a SELECT and an UPDATE. It computes IncrementedCounter
// (store/counter_value.h) on the stored value and returns the new text; a
// value that is not a counter, or an overflow, makes the statement fail
// before it writes anything, and the reason is left in the CounterCall.
// Internal to store/sqlite/.

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "store/sqlite/sqlite_connection.h"

namespace kv::sqlite_internal {

// What one kv_add call is about and what it did. The writer sets `index`
// and `key` before each statement that calls kv_add and reads the rest
// after it; only the thread using the connection touches it.
struct CounterCall {
  // The mutation, for the error kv_add reports.
  size_t index = 0;
  absl::string_view key;
  // Set by kv_add: the new counter, or why the value could not be
  // incremented (NotAnIntegerError, IncrementOverflowError).
  int64_t result = 0;
  absl::Status refused;
};

// Registers kv_add on `writer`, reporting into `*call`, which must outlive
// the connection. Only direct SQL may call it (SQLITE_DIRECTONLY): not a
// trigger or a view someone else put in the database.
absl::Status RegisterCounterFunction(Connection& writer, CounterCall* call);

}  // namespace kv::sqlite_internal

#endif  // KV_STORE_SQLITE_SQLITE_INCREMENT_H_
