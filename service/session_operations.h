#ifndef KV_SERVICE_SESSION_OPERATIONS_H_
#define KV_SERVICE_SESSION_OPERATIONS_H_

// Open and Close: a caller's handles to stores.

#include <string>

#include "absl/status/statusor.h"
#include "kv/v1/kv.pb.h"
#include "service/operation.h"
#include "service/operation_context.h"

namespace kv {
namespace operations {

// Checks the caller's grant before the store's existence, so a caller learns
// nothing about stores it is not granted: ACCESS_DENIED, then NO_SUCH_STORE,
// then IO if the store cannot open now, then STORE_TABLE_FULL.
absl::StatusOr<v1::OpenResponse> Open(OperationContext& context,
                                      const std::string& principal,
                                      const v1::OpenRequest& request);

// Closing a handle that is not open (or not the caller's) is a no-op.
absl::StatusOr<v1::CloseResponse> Close(OperationContext& context,
                                        const std::string& principal,
                                        const v1::CloseRequest& request);

// Open may wait for a store's backend to open, so it runs on that store's
// pool; Close touches no backend.
inline constexpr Operation<v1::OpenRequest, v1::OpenResponse> kOpen{
    "Open", Scheduling::kStoreWorker, &Open};
inline constexpr Operation<v1::CloseRequest, v1::CloseResponse> kClose{
    "Close", Scheduling::kControl, &Close};

}  // namespace operations
}  // namespace kv

#endif  // KV_SERVICE_SESSION_OPERATIONS_H_
