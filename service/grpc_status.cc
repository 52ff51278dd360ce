#include "service/grpc_status.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "service/errors/kv_error.h"

namespace kv {
namespace {

#define KV_ASSERT_SAME_CODE(absl_name, grpc_name)                  \
  static_assert(static_cast<int>(absl::StatusCode::absl_name) ==   \
                    static_cast<int>(grpc::StatusCode::grpc_name), \
                "absl::StatusCode::" #absl_name " != grpc::" #grpc_name)

KV_ASSERT_SAME_CODE(kOk, OK);
KV_ASSERT_SAME_CODE(kCancelled, CANCELLED);
KV_ASSERT_SAME_CODE(kUnknown, UNKNOWN);
KV_ASSERT_SAME_CODE(kInvalidArgument, INVALID_ARGUMENT);
KV_ASSERT_SAME_CODE(kDeadlineExceeded, DEADLINE_EXCEEDED);
KV_ASSERT_SAME_CODE(kNotFound, NOT_FOUND);
KV_ASSERT_SAME_CODE(kAlreadyExists, ALREADY_EXISTS);
KV_ASSERT_SAME_CODE(kPermissionDenied, PERMISSION_DENIED);
KV_ASSERT_SAME_CODE(kResourceExhausted, RESOURCE_EXHAUSTED);
KV_ASSERT_SAME_CODE(kFailedPrecondition, FAILED_PRECONDITION);
KV_ASSERT_SAME_CODE(kAborted, ABORTED);
KV_ASSERT_SAME_CODE(kOutOfRange, OUT_OF_RANGE);
KV_ASSERT_SAME_CODE(kUnimplemented, UNIMPLEMENTED);
KV_ASSERT_SAME_CODE(kInternal, INTERNAL);
KV_ASSERT_SAME_CODE(kUnavailable, UNAVAILABLE);
KV_ASSERT_SAME_CODE(kDataLoss, DATA_LOSS);
KV_ASSERT_SAME_CODE(kUnauthenticated, UNAUTHENTICATED);

#undef KV_ASSERT_SAME_CODE

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

void AddErrorCodeTrailer(const absl::Status& status,
                         grpc::ServerContextBase& context) {
  v1::ErrorCode code = ErrorCodeOf(status);
  if (code == v1::ERROR_CODE_UNSPECIFIED) return;
  context.AddTrailingMetadata(kErrorCodeMetadataKey, v1::ErrorCode_Name(code));
  if (absl::optional<uint64_t> revision = CurrentRevisionOf(status)) {
    context.AddTrailingMetadata(kCurrentRevisionMetadataKey,
                                absl::StrCat(*revision));
  }
  if (absl::optional<size_t> index = FailedIndexOf(status)) {
    context.AddTrailingMetadata(kFailedIndexMetadataKey, absl::StrCat(*index));
  }
}

}  // namespace kv
