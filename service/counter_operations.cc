#include "service/counter_operations.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/kv_error.h"
#include "service/request_validation.h"
#include "service/write_path.h"

namespace kv {
namespace operations {
namespace {

struct IncrementPlan {
  using Request = v1::IncrementRequest;
  using Response = v1::IncrementResponse;
  static constexpr bool kBatch = false;
  static std::string Action(const Request& request) {
    return absl::StrCat("increment key ", Quote(request.key()), " by ",
                        request.delta());
  }
  static absl::Status Validate(const Request& request, const Limits& limits) {
    return ValidateKey(request.key(), limits.max_key_bytes);
  }
  static write_path::Mutations ToMutations(const Request& request) {
    return {Mutation::Increment(request.key(), request.delta())};
  }
  static Response Respond(const Request& /*request*/,
                          const MutationResults& results) {
    Response response;
    response.set_value(results.front().value);
    response.set_revision(results.front().revision);
    return response;
  }
};

}  // namespace

absl::StatusOr<v1::IncrementResponse> Increment(
    OperationContext& context, const std::string& principal,
    const v1::IncrementRequest& request) {
  return write_path::Run<IncrementPlan>(context, principal, request);
}

void StartIncrement(
    OperationContext& context, const std::string& principal,
    std::shared_ptr<const v1::IncrementRequest> request,
    Operation<v1::IncrementRequest, v1::IncrementResponse>::Done done) {
  write_path::Start<IncrementPlan>(context, principal, std::move(request),
                                   std::move(done));
}

}  // namespace operations
}  // namespace kv
