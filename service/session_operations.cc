#include "service/session_operations.h"

#include "service/errors/kv_error.h"
#include "store/status_macros.h"

namespace kv {
namespace operations {

absl::StatusOr<v1::OpenResponse> Open(OperationContext& context,
                                      const std::string& principal,
                                      const v1::OpenRequest& request) {
  KV_ASSIGN_OR_RETURN(StoreAccess access, context.authorizer().Authorize(
                                              principal, request.name()));
  if (!context.catalog().Contains(request.name())) {
    return NoSuchStoreError(request.name());
  }
  // Opening an unhealthy store fails now rather than on its first use.
  KV_RETURN_IF_ERROR(context.Observe(
      request.name(), context.catalog().Find(request.name()).status()));
  KV_ASSIGN_OR_RETURN(uint32_t handle,
                      context.handles().Open(principal, request.name(),
                                             access == StoreAccess::kReadOnly));
  v1::OpenResponse response;
  response.set_store(handle);
  return response;
}

absl::StatusOr<v1::CloseResponse> Close(OperationContext& context,
                                        const std::string& principal,
                                        const v1::CloseRequest& request) {
  context.handles().Close(principal, request.store());
  return v1::CloseResponse();
}

}  // namespace operations
}  // namespace kv
