#include "tools/kvctl/exit_code.h"

#include "clients/cpp/error_code.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "kv/v1/kv.pb.h"
#include "tools/kvctl/call_status.h"

namespace kv::kvctl {
namespace {

absl::Status Failed(grpc::StatusCode code, v1::ErrorCode error_code) {
  absl::Status status(static_cast<absl::StatusCode>(code), "message");
  kvd::AttachErrorCode(status, error_code);
  return CallError("get \"k\" from store \"default\"", status);
}

TEST(ExitCodeForTest, OkIsSuccess) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), ExitCode::kSuccess);
}

TEST(ExitCodeForTest, NoSuchKeyIsNotFound) {
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::NOT_FOUND,
                               v1::ERROR_CODE_NO_SUCH_KEY)),
            ExitCode::kNotFound);
}

TEST(ExitCodeForTest, ConditionFailedHasItsOwnCode) {
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::ABORTED,
                               v1::ERROR_CODE_CONDITION_FAILED)),
            ExitCode::kConditionFailed);
  EXPECT_EQ(static_cast<int>(ExitCode::kConditionFailed), 7);
}

TEST(ExitCodeForTest, AbortedWithoutConditionFailedIsARefusal) {
  EXPECT_EQ(ExitCodeFor(
                Failed(grpc::StatusCode::ABORTED, v1::ERROR_CODE_UNSPECIFIED)),
            ExitCode::kRefused);
}

TEST(ExitCodeForTest, CounterErrorsAreRefusals) {
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::FAILED_PRECONDITION,
                               v1::ERROR_CODE_NOT_AN_INTEGER)),
            ExitCode::kRefused);
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::OUT_OF_RANGE,
                               v1::ERROR_CODE_OUT_OF_RANGE)),
            ExitCode::kRefused);
}

TEST(ExitCodeForTest, OtherKvErrorsAreRefusals) {
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::NOT_FOUND,
                               v1::ERROR_CODE_NO_SUCH_STORE)),
            ExitCode::kRefused);
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::PERMISSION_DENIED,
                               v1::ERROR_CODE_ACCESS_DENIED)),
            ExitCode::kRefused);
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::FAILED_PRECONDITION,
                               v1::ERROR_CODE_INVALID_STORE)),
            ExitCode::kRefused);
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               v1::ERROR_CODE_STORE_TABLE_FULL)),
            ExitCode::kRefused);
  EXPECT_EQ(ExitCodeFor(
                Failed(grpc::StatusCode::INVALID_ARGUMENT, v1::ERROR_CODE_IO)),
            ExitCode::kRefused);
}

TEST(ExitCodeForTest, BackendUnavailableIsARefusalNotUnreachable) {
  EXPECT_EQ(
      ExitCodeFor(Failed(grpc::StatusCode::UNAVAILABLE, v1::ERROR_CODE_IO)),
      ExitCode::kRefused);
}

TEST(ExitCodeForTest, TransportFailuresAreUnreachable) {
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::UNAVAILABLE,
                               v1::ERROR_CODE_UNSPECIFIED)),
            ExitCode::kUnreachable);
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::DEADLINE_EXCEEDED,
                               v1::ERROR_CODE_UNSPECIFIED)),
            ExitCode::kUnreachable);
}

TEST(ExitCodeForTest, OtherErrorsWithoutCodeAreRefusals) {
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::UNAUTHENTICATED,
                               v1::ERROR_CODE_UNSPECIFIED)),
            ExitCode::kRefused);
  EXPECT_EQ(ExitCodeFor(Failed(grpc::StatusCode::UNIMPLEMENTED,
                               v1::ERROR_CODE_UNSPECIFIED)),
            ExitCode::kRefused);
}

}  // namespace
}  // namespace kv::kvctl
