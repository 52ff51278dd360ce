#ifndef KV_SERVICE_BATCH_OPERATIONS_H_
#define KV_SERVICE_BATCH_OPERATIONS_H_

// GetMany, SetMany and DeleteMany: several keys in one call. GetMany reads
// one snapshot; SetMany and DeleteMany are one Driver::Write, so all-or-
// nothing on every driver. Each checks the batch limits and refuses a key
// that appears twice (service/batch_validation.h).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kv/v1/kv.pb.h"
#include "service/operation.h"
#include "service/operation_context.h"

namespace kv {
namespace operations {

absl::StatusOr<v1::GetManyResponse> GetMany(OperationContext& context,
                                            const std::string& principal,
                                            const v1::GetManyRequest& request);

absl::StatusOr<v1::SetManyResponse> SetMany(OperationContext& context,
                                            const std::string& principal,
                                            const v1::SetManyRequest& request);
void StartSetMany(
    OperationContext& context, const std::string& principal,
    std::shared_ptr<const v1::SetManyRequest> request,
    Operation<v1::SetManyRequest, v1::SetManyResponse>::Done done);

absl::StatusOr<v1::DeleteManyResponse> DeleteMany(
    OperationContext& context, const std::string& principal,
    const v1::DeleteManyRequest& request);
void StartDeleteMany(
    OperationContext& context, const std::string& principal,
    std::shared_ptr<const v1::DeleteManyRequest> request,
    Operation<v1::DeleteManyRequest, v1::DeleteManyResponse>::Done done);

inline constexpr Operation<v1::GetManyRequest, v1::GetManyResponse> kGetMany{
    "GetMany", Scheduling::kFastRead, &GetMany};
inline constexpr Operation<v1::SetManyRequest, v1::SetManyResponse> kSetMany{
    "SetMany", Scheduling::kNonblockingWrite, &SetMany, &StartSetMany};
inline constexpr Operation<v1::DeleteManyRequest, v1::DeleteManyResponse>
    kDeleteMany{"DeleteMany", Scheduling::kNonblockingWrite, &DeleteMany,
                &StartDeleteMany};

}  // namespace operations
}  // namespace kv

#endif  // KV_SERVICE_BATCH_OPERATIONS_H_
