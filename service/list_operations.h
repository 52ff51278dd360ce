#ifndef KV_SERVICE_LIST_OPERATIONS_H_
#define KV_SERVICE_LIST_OPERATIONS_H_

// GetKeys: the keys of a store.

#include <string>

#include "absl/status/statusor.h"
#include "kv/v1/kv.pb.h"
#include "service/operation.h"
#include "service/operation_context.h"

namespace kv {
namespace operations {

// Every key of the store in one response. IO with RESOURCE_EXHAUSTED, saying
// which limit to raise, when they do not fit in limits.max_get_keys_bytes.
absl::StatusOr<v1::GetKeysResponse> GetKeys(OperationContext& context,
                                            const std::string& principal,
                                            const v1::GetKeysRequest& request);

inline constexpr Operation<v1::GetKeysRequest, v1::GetKeysResponse> kGetKeys{
    "GetKeys", Scheduling::kStoreWorker, &GetKeys};

}  // namespace operations
}  // namespace kv

#endif  // KV_SERVICE_LIST_OPERATIONS_H_
