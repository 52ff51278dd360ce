#ifndef KV_SERVICE_TELEMETRY_REQUEST_LOG_H_
#define KV_SERVICE_TELEMETRY_REQUEST_LOG_H_

#include "service/telemetry/call_observer.h"

namespace kv {

// Logs each finished call at debug level, one line "rpc" with the fields
// method, store, principal, grpc_code, error_code, duration_ms, key_bytes
// and value_bytes. Keys and values themselves are never logged: keys can
// hold secrets (session ids, user names) as well as values can. Costs one
// level check when debug logging is off.
class RequestLog final : public CallObserver {
 public:
  void OnCallFinished(const CallRecord& call) override;
};

}  // namespace kv

#endif  // KV_SERVICE_TELEMETRY_REQUEST_LOG_H_
