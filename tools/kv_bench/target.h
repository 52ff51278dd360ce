#ifndef KV_TOOLS_KV_BENCH_TARGET_H_
#define KV_TOOLS_KV_BENCH_TARGET_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"

namespace kv {
namespace bench {

// What one benchmark call does.
enum class Operation {
  kGet,      // read one key's value
  kSet,      // write one key's value
  kExists,   // ask whether one key exists
  kGetKeys,  // list every key of the store
  kNoop,     // the server's gRPC health Check: the RPC ceiling
  // kvd's operations beyond Spin's (kvd target only):
  kIncrement,       // add 1 to a counter ("counter/" + the key)
  kGetMany,         // read --batch-size consecutive keys in one call
  kSetMany,         // write --batch-size consecutive keys in one call
  kConditionalSet,  // Set with if_revision on a key of the slot's own
  kList,            // one ListKeys page; each slot pages through the store
};

// Whether `operation` is one of kvd's own, which only the kvd target has.
bool IsKvdOnly(Operation operation);

const char* OperationName(Operation operation);

// Overwrites the first (up to) 8 bytes of `value` with `version`, so values
// written with different versions differ.
void StampVersion(uint64_t version, std::string& value);

// One call's outcome: empty `error` means success; otherwise a short label
// for counting, such as "NOT_FOUND" or "NOT_FOUND/ERROR_CODE_NO_SUCH_KEY".
struct Outcome {
  std::string error;
  // Keys the call returned (kList), for keys/s.
  uint64_t keys = 0;
};

// Something to benchmark: kvd, etcd, or SQLite in process.
//
// A call is made on a "slot": the load generator keeps one call outstanding
// per slot (a closed loop), so the number of slots is the in-flight depth.
// Prepare(slots) runs once before any call and may connect and open
// per-slot resources.
class Target {
 public:
  virtual ~Target() = default;

  // Connects and sets up resources for `slots` concurrent slots.
  virtual absl::Status Prepare(int slots) = 0;

  // Whether the target can do `operation` (an error names why not).
  virtual absl::Status Supports(Operation operation) const = 0;

  // True: calls are synchronous (CallSync, one thread per slot). False: calls
  // are asynchronous (StartCall, completion callbacks). The load runner
  // calls only the one this selects.
  virtual bool synchronous() const = 0;

  // Starts one call on `slot`; `done` runs exactly once, on any thread (not
  // inside StartCall). `key` and `value` stay valid until `done` runs.
  // A Set writes `value` with StampVersion(version, ...) applied, so that
  // every write changes the stored bytes: SQLite (and so kvd on SQLite)
  // skips the page write, and the fsync, of an update that changes nothing,
  // which would make writes of one fixed value look far cheaper than real
  // ones.
  using Done = std::function<void(Outcome)>;
  virtual void StartCall(int slot, Operation operation, const std::string& key,
                         const std::string& value, uint64_t version,
                         Done done) = 0;

  // Makes one call on `slot` and returns when it is done. As StartCall.
  virtual Outcome CallSync(int slot, Operation operation,
                           const std::string& key, const std::string& value,
                           uint64_t version) = 0;

  // Runs after the last call (e.g. commits a pending batch).
  virtual absl::Status Finish() { return absl::OkStatus(); }
};

}  // namespace bench
}  // namespace kv

#endif  // KV_TOOLS_KV_BENCH_TARGET_H_
