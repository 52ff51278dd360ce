#ifndef KV_SERVICE_COUNTER_OPERATIONS_H_
#define KV_SERVICE_COUNTER_OPERATIONS_H_

// Increment: an atomic add to a counter stored as decimal text. Checked like
// every write (service/write_path.h); the driver does the arithmetic, so it
// is atomic across every kvd sharing the backend.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kv/v1/kv.pb.h"
#include "service/operation.h"
#include "service/operation_context.h"

namespace kv {
namespace operations {

absl::StatusOr<v1::IncrementResponse> Increment(
    OperationContext& context, const std::string& principal,
    const v1::IncrementRequest& request);
void StartIncrement(
    OperationContext& context, const std::string& principal,
    std::shared_ptr<const v1::IncrementRequest> request,
    Operation<v1::IncrementRequest, v1::IncrementResponse>::Done done);

inline constexpr Operation<v1::IncrementRequest, v1::IncrementResponse>
    kIncrement{"Increment", Scheduling::kNonblockingWrite, &Increment,
               &StartIncrement};

}  // namespace operations
}  // namespace kv

#endif  // KV_SERVICE_COUNTER_OPERATIONS_H_
