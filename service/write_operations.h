#ifndef KV_SERVICE_WRITE_OPERATIONS_H_
#define KV_SERVICE_WRITE_OPERATIONS_H_

// Set and Delete: writes of one key, unconditional or with `if_revision`.
// Each first checks, before it reaches the backend, that the handle is the
// caller's, that its grant allows writes (else ACCESS_DENIED), and the key
// and value limits (service/write_path.h).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kv/v1/kv.pb.h"
#include "service/operation.h"
#include "service/operation_context.h"

namespace kv {
namespace operations {

// Overwrites; with if_revision, only if the key is at that revision.
absl::StatusOr<v1::SetResponse> Set(OperationContext& context,
                                    const std::string& principal,
                                    const v1::SetRequest& request);
void StartSet(OperationContext& context, const std::string& principal,
              std::shared_ptr<const v1::SetRequest> request,
              Operation<v1::SetRequest, v1::SetResponse>::Done done);

// Deleting a missing key is not an error (revision 0).
absl::StatusOr<v1::DeleteResponse> Delete(OperationContext& context,
                                          const std::string& principal,
                                          const v1::DeleteRequest& request);
void StartDelete(OperationContext& context, const std::string& principal,
                 std::shared_ptr<const v1::DeleteRequest> request,
                 Operation<v1::DeleteRequest, v1::DeleteResponse>::Done done);

inline constexpr Operation<v1::SetRequest, v1::SetResponse> kSet{
    "Set", Scheduling::kNonblockingWrite, &Set, &StartSet};
inline constexpr Operation<v1::DeleteRequest, v1::DeleteResponse> kDelete{
    "Delete", Scheduling::kNonblockingWrite, &Delete, &StartDelete};

}  // namespace operations
}  // namespace kv

#endif  // KV_SERVICE_WRITE_OPERATIONS_H_
