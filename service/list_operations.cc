#include "service/list_operations.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "service/errors/kv_error.h"
#include "store/status_macros.h"

namespace kv {
namespace operations {

absl::StatusOr<v1::GetKeysResponse> GetKeys(OperationContext& context,
                                            const std::string& principal,
                                            const v1::GetKeysRequest& request) {
  KV_ASSIGN_OR_RETURN(OperationContext::ResolvedStore store,
                      context.Resolve(principal, request.store()));
  const size_t max_bytes = context.limits().max_get_keys_bytes;
  v1::GetKeysResponse response;
  // Each key costs its bytes plus a tag and a length prefix on the wire.
  constexpr size_t kPerKeyFraming = 1 + 5;
  size_t response_bytes = 0;
  bool too_large = false;
  absl::Status status = store.driver->ListKeys([&](absl::string_view key) {
    response_bytes += key.size() + kPerKeyFraming;
    if (response_bytes > max_bytes) {
      too_large = true;
      return false;
    }
    response.add_keys(std::string(key));
    return true;
  });
  if (!status.ok()) {
    return context.Observe(store.name,
                           BackendError(store.name, "list keys", status));
  }
  context.Observe(store.name, absl::OkStatus()).IgnoreError();
  if (too_large) {
    return MakeKvError(
        v1::ERROR_CODE_IO, absl::StatusCode::kResourceExhausted,
        absl::StrCat("store ", Quote(store.name), " has more keys than fit in ",
                     "one GetKeys response (", response.keys_size(),
                     " keys listed before reaching the ", max_bytes,
                     "-byte limit); raise limits.max_get_keys_bytes and the "
                     "client's maximum receive message size, or split the "
                     "data across stores"));
  }
  return response;
}

}  // namespace operations
}  // namespace kv
