#include "service/write_operations.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/kv_error.h"
#include "service/expiry_fields.h"
#include "service/request_validation.h"
#include "service/write_path.h"

namespace kv {
namespace operations {
namespace {

struct SetPlan {
  using Request = v1::SetRequest;
  using Response = v1::SetResponse;
  static constexpr bool kBatch = false;
  static std::string Action(const Request& request) {
    return absl::StrCat("set key ", Quote(request.key()));
  }
  static absl::Status Validate(const Request& request, const Limits& limits) {
    KV_RETURN_IF_ERROR(ValidateKey(request.key(), limits.max_key_bytes));
    KV_RETURN_IF_ERROR(ValidateValue(request.key(), request.value().size(),
                                     limits.max_value_bytes));
    return RequestedTtl(request.has_ttl(), request.ttl(), limits.max_ttl, "ttl")
        .status();
  }
  static write_path::Mutations ToMutations(const Request& request) {
    return {Mutation::Set(request.key(), request.value(),
                          write_path::IfRevisionOf(request),
                          write_path::TtlOf(request))};
  }
  static Response Respond(const Request& /*request*/,
                          const MutationResults& results) {
    Response response;
    response.set_revision(results.front().revision);
    return response;
  }
};

struct DeletePlan {
  using Request = v1::DeleteRequest;
  using Response = v1::DeleteResponse;
  static constexpr bool kBatch = false;
  static std::string Action(const Request& request) {
    return absl::StrCat("delete key ", Quote(request.key()));
  }
  static absl::Status Validate(const Request& request, const Limits& limits) {
    return ValidateKey(request.key(), limits.max_key_bytes);
  }
  static write_path::Mutations ToMutations(const Request& request) {
    return {Mutation::Delete(request.key(), write_path::IfRevisionOf(request))};
  }
  static Response Respond(const Request& /*request*/,
                          const MutationResults& results) {
    Response response;
    response.set_revision(results.front().revision);
    return response;
  }
};

}  // namespace

absl::StatusOr<v1::SetResponse> Set(OperationContext& context,
                                    const std::string& principal,
                                    const v1::SetRequest& request) {
  return write_path::Run<SetPlan>(context, principal, request);
}

void StartSet(OperationContext& context, const std::string& principal,
              std::shared_ptr<const v1::SetRequest> request,
              Operation<v1::SetRequest, v1::SetResponse>::Done done) {
  write_path::Start<SetPlan>(context, principal, std::move(request),
                             std::move(done));
}

absl::StatusOr<v1::DeleteResponse> Delete(OperationContext& context,
                                          const std::string& principal,
                                          const v1::DeleteRequest& request) {
  return write_path::Run<DeletePlan>(context, principal, request);
}

void StartDelete(OperationContext& context, const std::string& principal,
                 std::shared_ptr<const v1::DeleteRequest> request,
                 Operation<v1::DeleteRequest, v1::DeleteResponse>::Done done) {
  write_path::Start<DeletePlan>(context, principal, std::move(request),
                                std::move(done));
}

}  // namespace operations
}  // namespace kv
