#ifndef KV_SERVICE_LIST_OPERATIONS_H_
#define KV_SERVICE_LIST_OPERATIONS_H_

// GetKeys and ListKeys: the keys of a store, all at once or a page at a
// time. Both read through Driver::ListKeyPage.

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

// One page of the keys with a prefix (AIP-158): at most page_size keys (0:
// kDefaultPageSize; above limits.max_page_size: that), fewer if that many
// keys of the longest allowed size would not fit in
// limits.max_get_keys_bytes, and a stateless next_page_token
// (service/page_token.h). Errors: IO with INVALID_ARGUMENT for a negative
// page_size, an oversize or non-UTF-8 prefix, or a page_token that is not
// kvd's or belongs to another store or prefix.
absl::StatusOr<v1::ListKeysResponse> ListKeys(
    OperationContext& context, const std::string& principal,
    const v1::ListKeysRequest& request);

inline constexpr Operation<v1::ListKeysRequest, v1::ListKeysResponse> kListKeys{
    "ListKeys", Scheduling::kStoreWorker, &ListKeys};

}  // namespace operations
}  // namespace kv

#endif  // KV_SERVICE_LIST_OPERATIONS_H_
