#include "service/read_operations.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/kv_error.h"
#include "service/expiry_fields.h"
#include "service/request_validation.h"
#include "store/status_macros.h"

namespace kv {
namespace operations {

absl::StatusOr<v1::GetResponse> Get(OperationContext& context,
                                    const std::string& principal,
                                    const v1::GetRequest& request) {
  KV_ASSIGN_OR_RETURN(OperationContext::ResolvedStore store,
                      context.Resolve(principal, request.store()));
  KV_RETURN_IF_ERROR(
      ValidateKey(request.key(), context.limits().max_key_bytes));
  absl::StatusOr<Versioned> value = store.driver->Get(request.key());
  if (absl::IsNotFound(value.status())) {
    return context.Observe(store.name,
                           NoSuchKeyError(store.name, request.key()));
  }
  if (!value.ok()) {
    return context.Observe(
        store.name,
        BackendError(store.name, absl::StrCat("get key ", Quote(request.key())),
                     value.status()));
  }
  context.Observe(store.name, absl::OkStatus()).IgnoreError();
  v1::GetResponse response;
  *response.mutable_value() = std::move(value->value);
  response.set_revision(value->revision);
  SetExpireTime(value->expire_time, response);
  return response;
}

absl::StatusOr<v1::ExistsResponse> Exists(OperationContext& context,
                                          const std::string& principal,
                                          const v1::ExistsRequest& request) {
  KV_ASSIGN_OR_RETURN(OperationContext::ResolvedStore store,
                      context.Resolve(principal, request.store()));
  KV_RETURN_IF_ERROR(
      ValidateKey(request.key(), context.limits().max_key_bytes));
  absl::StatusOr<bool> exists = store.driver->Exists(request.key());
  if (!exists.ok()) {
    return context.Observe(
        store.name,
        BackendError(store.name,
                     absl::StrCat("check key ", Quote(request.key())),
                     exists.status()));
  }
  context.Observe(store.name, absl::OkStatus()).IgnoreError();
  v1::ExistsResponse response;
  response.set_exists(*exists);
  return response;
}

}  // namespace operations
}  // namespace kv
