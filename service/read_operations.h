#ifndef KV_SERVICE_READ_OPERATIONS_H_
#define KV_SERVICE_READ_OPERATIONS_H_

// Get and Exists: reads of one key.

#include <string>

#include "absl/status/statusor.h"
#include "kv/v1/kv.pb.h"
#include "service/operation.h"
#include "service/operation_context.h"

namespace kv {
namespace operations {

// NO_SUCH_KEY for a missing key.
absl::StatusOr<v1::GetResponse> Get(OperationContext& context,
                                    const std::string& principal,
                                    const v1::GetRequest& request);

absl::StatusOr<v1::ExistsResponse> Exists(OperationContext& context,
                                          const std::string& principal,
                                          const v1::ExistsRequest& request);

inline constexpr Operation<v1::GetRequest, v1::GetResponse> kGet{
    "Get", Scheduling::kFastRead, &Get};
inline constexpr Operation<v1::ExistsRequest, v1::ExistsResponse> kExists{
    "Exists", Scheduling::kFastRead, &Exists};

}  // namespace operations
}  // namespace kv

#endif  // KV_SERVICE_READ_OPERATIONS_H_
