#include "tools/kvctl/kv_error.h"

#include <map>

#include "gtest/gtest.h"
#include "kv/v1/kv.grpc.pb.h"
#include "tools/kvctl/fake_key_value.h"

namespace kv {
namespace {

using Trailers = std::multimap<grpc::string_ref, grpc::string_ref>;

TEST(ErrorCodeFromTrailersTest, ReadsTheEnumValueName) {
  Trailers trailers = {{"kv-error-code", "ERROR_CODE_NO_SUCH_KEY"}};
  EXPECT_EQ(ErrorCodeFromTrailers(trailers), v1::ERROR_CODE_NO_SUCH_KEY);
}

TEST(ErrorCodeFromTrailersTest, ReadsEveryCode) {
  for (int i = v1::ErrorCode_MIN; i <= v1::ErrorCode_MAX; ++i) {
    const auto code = static_cast<v1::ErrorCode>(i);
    const std::string name = v1::ErrorCode_Name(code);
    Trailers trailers = {{"kv-error-code", name}};
    EXPECT_EQ(ErrorCodeFromTrailers(trailers), code) << name;
  }
}

TEST(ErrorCodeFromTrailersTest, AbsentIsUnspecified) {
  Trailers trailers = {{"other", "ERROR_CODE_IO"}};
  EXPECT_EQ(ErrorCodeFromTrailers(trailers), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ErrorCodeFromTrailers(Trailers()), v1::ERROR_CODE_UNSPECIFIED);
}

TEST(ErrorCodeFromTrailersTest, UnknownNameIsUnspecified) {
  Trailers trailers = {{"kv-error-code", "ERROR_CODE_FROM_THE_FUTURE"}};
  EXPECT_EQ(ErrorCodeFromTrailers(trailers), v1::ERROR_CODE_UNSPECIFIED);
  Trailers short_name = {{"kv-error-code", "NO_SUCH_KEY"}};
  EXPECT_EQ(ErrorCodeFromTrailers(short_name), v1::ERROR_CODE_UNSPECIFIED);
}

class ErrorCodeOfTest : public ::testing::Test {
 protected:
  // Calls Get on a fresh handle of the fake server; returns the status.
  grpc::Status GetMissingKey(grpc::ClientContext* context) {
    v1::GetRequest request;
    request.set_store(OpenDefault());
    request.set_key("missing");
    v1::GetResponse response;
    return stub_->Get(context, request, &response);
  }

  uint32_t OpenDefault() {
    grpc::ClientContext context;
    v1::OpenRequest request;
    request.set_name("default");
    v1::OpenResponse response;
    EXPECT_TRUE(stub_->Open(&context, request, &response).ok());
    return response.store();
  }

  FakeKeyValueServer server_;
  std::unique_ptr<v1::KeyValue::Stub> stub_ =
      v1::KeyValue::NewStub(server_.channel());
};

TEST_F(ErrorCodeOfTest, ReadsTheServersTrailer) {
  grpc::ClientContext context;
  const grpc::Status status = GetMissingKey(&context);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorCodeOf(status, context), v1::ERROR_CODE_NO_SUCH_KEY);
}

TEST_F(ErrorCodeOfTest, DistinguishesCodesThatShareAGrpcCode) {
  grpc::ClientContext context;
  v1::OpenRequest request;
  request.set_name("nope");
  v1::OpenResponse response;
  const grpc::Status status = stub_->Open(&context, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorCodeOf(status, context), v1::ERROR_CODE_NO_SUCH_STORE);
}

TEST_F(ErrorCodeOfTest, NoTrailerIsUnspecified) {
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no token"), "");
  grpc::ClientContext context;
  v1::OpenRequest request;
  request.set_name("default");
  v1::OpenResponse response;
  const grpc::Status status = stub_->Open(&context, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorCodeOf(status, context), v1::ERROR_CODE_UNSPECIFIED);
}

TEST_F(ErrorCodeOfTest, OkIsUnspecified) {
  grpc::ClientContext context;
  v1::OpenRequest request;
  request.set_name("default");
  v1::OpenResponse response;
  const grpc::Status status = stub_->Open(&context, request, &response);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(ErrorCodeOf(status, context), v1::ERROR_CODE_UNSPECIFIED);
}

}  // namespace
}  // namespace kv
