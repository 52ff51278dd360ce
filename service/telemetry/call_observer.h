#ifndef KV_SERVICE_TELEMETRY_CALL_OBSERVER_H_
#define KV_SERVICE_TELEMETRY_CALL_OBSERVER_H_

// The hook through which the KeyValue service reports each finished call to
// metrics and the request log, so the service knows neither.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "kv/v1/kv.pb.h"
#include "service/errors/kv_error.h"

namespace kv {

// One finished RPC. It carries sizes, never key or value bytes, so an
// observer cannot leak data it was never given.
struct CallRecord {
  // The RPC method: "Open", "Get", "Set", "Delete", "Exists", "GetKeys" or
  // "Close".
  std::string method;
  // The configured store the call targeted; empty if it targeted none (an
  // unknown store name or handle, a request that did not decode). Never a
  // name the caller made up, so it is safe as a metric label.
  std::string store;
  // The caller's identity; empty for the anonymous principal.
  std::string principal;
  // The gRPC status code the caller received.
  absl::StatusCode code = absl::StatusCode::kOk;
  // The kv.v1.ErrorCode the caller received; UNSPECIFIED if none.
  v1::ErrorCode error_code = v1::ERROR_CODE_UNSPECIFIED;
  // From the call's arrival to its completion.
  absl::Duration duration;
  // Size of the request's key (Open: the store name), and of Set's value.
  size_t key_bytes = 0;
  size_t value_bytes = 0;
};

// Receives every finished call. Implementations must be thread-safe (calls
// finish on many threads at once) and fast: they run on the call's thread
// before the next call it serves.
class CallObserver {
 public:
  virtual ~CallObserver() = default;
  virtual void OnCallFinished(const CallRecord& call) = 0;
};

// Observes nothing: the default when metrics and request logs are off.
class NullCallObserver final : public CallObserver {
 public:
  void OnCallFinished(const CallRecord& /*call*/) override {}
};

// Passes each call to several observers, in order. Does not own them; they
// must outlive it.
class CallObserverList final : public CallObserver {
 public:
  explicit CallObserverList(std::vector<CallObserver*> observers)
      : observers_(std::move(observers)) {}
  void OnCallFinished(const CallRecord& call) override {
    for (CallObserver* observer : observers_) observer->OnCallFinished(call);
  }

 private:
  const std::vector<CallObserver*> observers_;
};

// The label or log value for an ErrorCode: its short name ("NO_SUCH_KEY"),
// or "" when the call carried none (successes, cancelled calls).
inline std::string ErrorCodeLabel(v1::ErrorCode code) {
  if (code == v1::ERROR_CODE_UNSPECIFIED) return "";
  return std::string(ShortName(code));
}

// The label or log value for a principal: "anonymous" for the empty one.
inline std::string PrincipalLabel(const std::string& principal) {
  return principal.empty() ? "anonymous" : principal;
}

}  // namespace kv

#endif  // KV_SERVICE_TELEMETRY_CALL_OBSERVER_H_
