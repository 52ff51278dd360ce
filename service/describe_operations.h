#ifndef KV_SERVICE_DESCRIBE_OPERATIONS_H_
#define KV_SERVICE_DESCRIBE_OPERATIONS_H_

// Describe: what an open store is and can do, so a client adapts instead of
// guessing. Reads the store's current revision from its backend.

#include <string>

#include "absl/status/statusor.h"
#include "kv/v1/kv.pb.h"
#include "service/operation.h"
#include "service/operation_context.h"

namespace kv {
namespace operations {

absl::StatusOr<v1::DescribeResponse> Describe(
    OperationContext& context, const std::string& principal,
    const v1::DescribeRequest& request);

inline constexpr Operation<v1::DescribeRequest, v1::DescribeResponse> kDescribe{
    "Describe", Scheduling::kStoreWorker, &Describe};

}  // namespace operations
}  // namespace kv

#endif  // KV_SERVICE_DESCRIBE_OPERATIONS_H_
