#include "store/sqlite/sqlite_increment.h"

#include <sqlite3.h>

#include <algorithm>
#include <string>

#include "absl/status/statusor.h"
#include "store/counter_value.h"
#include "store/sqlite/sqlite_connection.h"

namespace kv::sqlite_internal {
namespace {

// The longest canonical counter text, "-9223372036854775808". A longer
// value is no counter whatever it holds, and so is its first 21 bytes: only
// those are copied.
constexpr size_t kLongestCounterText = 20;

void KvAdd(sqlite3_context* context, int argc, sqlite3_value** argv) {
  auto* call = static_cast<CounterCall*>(sqlite3_user_data(context));
  const int64_t delta = sqlite3_value_int64(argv[1]);
  std::string current;
  const bool absent = sqlite3_value_type(argv[0]) == SQLITE_NULL;
  if (!absent) {
    const void* data = sqlite3_value_blob(argv[0]);
    const int size = sqlite3_value_bytes(argv[0]);
    if (data != nullptr && size > 0) {
      current.assign(static_cast<const char*>(data),
                     std::min<size_t>(size, kLongestCounterText + 1));
    }
  }
  absl::StatusOr<int64_t> sum = IncrementedCounter(
      absent ? nullptr : &current, delta, call->index, call->key);
  if (!sum.ok()) {
    call->refused = sum.status();
    sqlite3_result_error(context, "kvd: the counter cannot be incremented", -1);
    return;
  }
  call->result = *sum;
  const std::string text = FormatCounter(*sum);
  sqlite3_result_blob64(context, text.data(), text.size(), SQLITE_TRANSIENT);
}

}  // namespace

absl::Status RegisterCounterFunction(Connection& writer, CounterCall* call) {
  return writer.CreateFunction("kv_add", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                               call, &KvAdd);
}

}  // namespace kv::sqlite_internal
