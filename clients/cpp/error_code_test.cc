#include "clients/cpp/error_code.h"

#include <map>
#include <optional>

#include "absl/strings/cord.h"
#include "clients/cpp/fake_key_value.h"
#include "gtest/gtest.h"
#include "kv/v1/kv.grpc.pb.h"

namespace kvd {
namespace {

using Trailers = std::multimap<grpc::string_ref, grpc::string_ref>;

TEST(ErrorCodeFromTrailersTest, ReadsTheEnumValueName) {
  Trailers trailers = {{"kv-error-code", "ERROR_CODE_NO_SUCH_KEY"}};
  EXPECT_EQ(ErrorCodeFromTrailers(trailers), kv::v1::ERROR_CODE_NO_SUCH_KEY);
}

TEST(ErrorCodeFromTrailersTest, ReadsEveryCode) {
  for (int i = kv::v1::ErrorCode_MIN; i <= kv::v1::ErrorCode_MAX; ++i) {
    const auto code = static_cast<kv::v1::ErrorCode>(i);
    const std::string name = kv::v1::ErrorCode_Name(code);
    Trailers trailers = {{"kv-error-code", name}};
    EXPECT_EQ(ErrorCodeFromTrailers(trailers), code) << name;
  }
}

TEST(ErrorCodeFromTrailersTest, AbsentIsUnspecified) {
  Trailers trailers = {{"other", "ERROR_CODE_IO"}};
  EXPECT_EQ(ErrorCodeFromTrailers(trailers), kv::v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ErrorCodeFromTrailers(Trailers()), kv::v1::ERROR_CODE_UNSPECIFIED);
}

TEST(ErrorCodeFromTrailersTest, UnknownNameIsUnspecified) {
  Trailers trailers = {{"kv-error-code", "ERROR_CODE_FROM_THE_FUTURE"}};
  EXPECT_EQ(ErrorCodeFromTrailers(trailers), kv::v1::ERROR_CODE_UNSPECIFIED);
  Trailers short_name = {{"kv-error-code", "NO_SUCH_KEY"}};
  EXPECT_EQ(ErrorCodeFromTrailers(short_name), kv::v1::ERROR_CODE_UNSPECIFIED);
}

class ErrorCodeOfTest : public ::testing::Test {
 protected:
  // Calls Get on a fresh handle of the fake server; returns the status.
  grpc::Status GetMissingKey(grpc::ClientContext* context) {
    kv::v1::GetRequest request;
    request.set_store(OpenDefault());
    request.set_key("missing");
    kv::v1::GetResponse response;
    return stub_->Get(context, request, &response);
  }

  uint32_t OpenDefault() {
    grpc::ClientContext context;
    kv::v1::OpenRequest request;
    request.set_name("default");
    kv::v1::OpenResponse response;
    EXPECT_TRUE(stub_->Open(&context, request, &response).ok());
    return response.store();
  }

  FakeKeyValueServer server_;
  std::unique_ptr<kv::v1::KeyValue::Stub> stub_ =
      kv::v1::KeyValue::NewStub(server_.channel());
};

TEST_F(ErrorCodeOfTest, ReadsTheServersTrailer) {
  grpc::ClientContext context;
  const grpc::Status status = GetMissingKey(&context);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorCodeOf(status, context), kv::v1::ERROR_CODE_NO_SUCH_KEY);
}

TEST_F(ErrorCodeOfTest, DistinguishesCodesThatShareAGrpcCode) {
  grpc::ClientContext context;
  kv::v1::OpenRequest request;
  request.set_name("nope");
  kv::v1::OpenResponse response;
  const grpc::Status status = stub_->Open(&context, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorCodeOf(status, context), kv::v1::ERROR_CODE_NO_SUCH_STORE);
}

TEST_F(ErrorCodeOfTest, NoTrailerIsUnspecified) {
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no token"), "");
  grpc::ClientContext context;
  kv::v1::OpenRequest request;
  request.set_name("default");
  kv::v1::OpenResponse response;
  const grpc::Status status = stub_->Open(&context, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorCodeOf(status, context), kv::v1::ERROR_CODE_UNSPECIFIED);
}

TEST_F(ErrorCodeOfTest, OkIsUnspecified) {
  grpc::ClientContext context;
  kv::v1::OpenRequest request;
  request.set_name("default");
  kv::v1::OpenResponse response;
  const grpc::Status status = stub_->Open(&context, request, &response);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(ErrorCodeOf(status, context), kv::v1::ERROR_CODE_UNSPECIFIED);
}

TEST(StatusErrorCodeTest, AttachedCodeReadsBack) {
  absl::Status status = absl::NotFoundError("NO_SUCH_KEY: k");
  AttachErrorCode(status, kv::v1::ERROR_CODE_NO_SUCH_KEY);
  EXPECT_EQ(ErrorCodeOf(status), kv::v1::ERROR_CODE_NO_SUCH_KEY);
  EXPECT_EQ(ErrorCodeShortName(ErrorCodeOf(status)), "NO_SUCH_KEY");
}

TEST(StatusErrorCodeTest, PlainStatusHasNone) {
  EXPECT_EQ(ErrorCodeOf(absl::OkStatus()), kv::v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ErrorCodeOf(absl::NotFoundError("x")),
            kv::v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ErrorCodeShortName(kv::v1::ERROR_CODE_UNSPECIFIED), "");
}

TEST_F(ErrorCodeOfTest, ToAbslStatusKeepsCodeMessageAndErrorCode) {
  grpc::ClientContext context;
  const absl::Status status = ToAbslStatus(GetMissingKey(&context), context);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorCodeOf(status), kv::v1::ERROR_CODE_NO_SUCH_KEY);
}

TEST_F(ErrorCodeOfTest, ToAbslStatusCarriesTheCurrentRevision) {
  const uint32_t handle = OpenDefault();
  kv::v1::SetRequest request;
  request.set_store(handle);
  request.set_key("k");
  request.set_value("v");
  kv::v1::SetResponse response;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->Set(&context, request, &response).ok());
  }
  const uint64_t written = response.revision();
  request.set_if_revision(written + 100);
  grpc::ClientContext context;
  const absl::Status status =
      ToAbslStatus(stub_->Set(&context, request, &response), context);
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorCodeOf(status), kv::v1::ERROR_CODE_CONDITION_FAILED);
  EXPECT_EQ(CurrentRevisionOf(status), written);
  EXPECT_EQ(FailedIndexOf(status), std::nullopt);
}

TEST_F(ErrorCodeOfTest, ToAbslStatusCarriesTheFailedIndex) {
  kv::v1::SetManyRequest request;
  request.set_store(OpenDefault());
  request.add_entries()->set_key("a");
  kv::v1::SetEntry* second = request.add_entries();
  second->set_key("b");
  second->set_if_revision(5);
  kv::v1::SetManyResponse response;
  grpc::ClientContext context;
  const absl::Status status =
      ToAbslStatus(stub_->SetMany(&context, request, &response), context);
  EXPECT_EQ(ErrorCodeOf(status), kv::v1::ERROR_CODE_CONDITION_FAILED);
  EXPECT_EQ(CurrentRevisionOf(status), 0u);
  EXPECT_EQ(FailedIndexOf(status), 1u);
}

TEST(StatusErrorCodeTest, RevisionAndIndexReadBack) {
  absl::Status status = absl::AbortedError("CONDITION_FAILED: k");
  AttachCurrentRevision(status, 18446744073709551615u);
  AttachFailedIndex(status, 3);
  EXPECT_EQ(CurrentRevisionOf(status), 18446744073709551615u);
  EXPECT_EQ(FailedIndexOf(status), 3u);
}

TEST(StatusErrorCodeTest, NoRevisionWhenAbsentOrNotANumber) {
  EXPECT_EQ(CurrentRevisionOf(absl::AbortedError("x")), std::nullopt);
  absl::Status ok = absl::OkStatus();
  AttachCurrentRevision(ok, 5);
  EXPECT_EQ(CurrentRevisionOf(ok), std::nullopt);
  for (const char* bad : {"", "-1", "+1", " 1", "1x", "18446744073709551616"}) {
    absl::Status status = absl::AbortedError("x");
    status.SetPayload(kCurrentRevisionPayloadUrl, absl::Cord(bad));
    EXPECT_EQ(CurrentRevisionOf(status), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace kvd
