#include "service/write_operations.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/kv_error.h"
#include "service/request_validation.h"
#include "store/status_macros.h"

namespace kv {
namespace operations {
namespace {

// The per-request parts of a write, so Set and Delete share one path.
std::string WriteDescription(const v1::SetRequest& request) {
  return absl::StrCat("set key ", Quote(request.key()));
}
std::string WriteDescription(const v1::DeleteRequest& request) {
  return absl::StrCat("delete key ", Quote(request.key()));
}

absl::Status ValidateWrittenValue(const v1::SetRequest& request,
                                  const Limits& limits) {
  return ValidateValue(request.key(), request.value().size(),
                       limits.max_value_bytes);
}
absl::Status ValidateWrittenValue(const v1::DeleteRequest& /*request*/,
                                  const Limits& /*limits*/) {
  return absl::OkStatus();
}

absl::Status WriteNow(Driver& driver, const v1::SetRequest& request) {
  return driver.Set(request.key(), request.value());
}
absl::Status WriteNow(Driver& driver, const v1::DeleteRequest& request) {
  return driver.Delete(request.key());
}

void WriteLater(Driver& driver, const v1::SetRequest& request,
                Driver::WriteDone done) {
  driver.SetAsync(request.key(), request.value(), std::move(done));
}
void WriteLater(Driver& driver, const v1::DeleteRequest& request,
                Driver::WriteDone done) {
  driver.DeleteAsync(request.key(), std::move(done));
}

// What a write must pass before it reaches the backend.
template <typename WriteRequest>
absl::StatusOr<OperationContext::ResolvedStore> CheckWrite(
    OperationContext& context, const std::string& principal,
    const WriteRequest& request) {
  KV_ASSIGN_OR_RETURN(OperationContext::ResolvedStore store,
                      context.Resolve(principal, request.store()));
  if (store.read_only) {
    return ReadOnlyStoreError(store.name, WriteDescription(request));
  }
  KV_RETURN_IF_ERROR(
      ValidateKey(request.key(), context.limits().max_key_bytes));
  KV_RETURN_IF_ERROR(ValidateWrittenValue(request, context.limits()));
  return store;
}

// Turns the backend's answer into the call's status and records it in the
// store's health.
template <typename WriteRequest>
absl::Status WriteOutcome(OperationContext& context,
                          const OperationContext::ResolvedStore& store,
                          const WriteRequest& request, absl::Status outcome) {
  if (!outcome.ok()) {
    outcome = BackendError(store.name, WriteDescription(request), outcome);
  }
  return context.Observe(store.name, std::move(outcome));
}

template <typename WriteRequest, typename Response>
absl::StatusOr<Response> Write(OperationContext& context,
                               const std::string& principal,
                               const WriteRequest& request) {
  KV_ASSIGN_OR_RETURN(OperationContext::ResolvedStore store,
                      CheckWrite(context, principal, request));
  KV_RETURN_IF_ERROR(
      WriteOutcome(context, store, request, WriteNow(*store.driver, request)));
  return Response();
}

template <typename WriteRequest, typename Response>
void StartWrite(OperationContext& context, const std::string& principal,
                std::shared_ptr<const WriteRequest> request,
                typename Operation<WriteRequest, Response>::Done done) {
  absl::StatusOr<OperationContext::ResolvedStore> store =
      CheckWrite(context, principal, *request);
  if (!store.ok()) {
    done(store.status());
    return;
  }
  Driver& driver = *store->driver;
  const WriteRequest& write = *request;
  WriteLater(driver, write,
             [&context, store = *std::move(store), request = std::move(request),
              done = std::move(done)](absl::Status outcome) mutable {
               absl::Status status =
                   WriteOutcome(context, store, *request, std::move(outcome));
               if (status.ok()) {
                 done(Response());
               } else {
                 done(std::move(status));
               }
             });
}

}  // namespace

absl::StatusOr<v1::SetResponse> Set(OperationContext& context,
                                    const std::string& principal,
                                    const v1::SetRequest& request) {
  return Write<v1::SetRequest, v1::SetResponse>(context, principal, request);
}

void StartSet(OperationContext& context, const std::string& principal,
              std::shared_ptr<const v1::SetRequest> request,
              Operation<v1::SetRequest, v1::SetResponse>::Done done) {
  StartWrite<v1::SetRequest, v1::SetResponse>(
      context, principal, std::move(request), std::move(done));
}

absl::StatusOr<v1::DeleteResponse> Delete(OperationContext& context,
                                          const std::string& principal,
                                          const v1::DeleteRequest& request) {
  return Write<v1::DeleteRequest, v1::DeleteResponse>(context, principal,
                                                      request);
}

void StartDelete(OperationContext& context, const std::string& principal,
                 std::shared_ptr<const v1::DeleteRequest> request,
                 Operation<v1::DeleteRequest, v1::DeleteResponse>::Done done) {
  StartWrite<v1::DeleteRequest, v1::DeleteResponse>(
      context, principal, std::move(request), std::move(done));
}

}  // namespace operations
}  // namespace kv
