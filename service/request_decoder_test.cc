#include "service/request_decoder.h"

#include <string>

#include "gmock/gmock.h"
#include "grpcpp/support/slice.h"
#include "gtest/gtest.h"
#include "kv/v1/kv.pb.h"
#include "service/errors/kv_error.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::HasSubstr;

grpc::ByteBuffer BufferOf(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// The wire form of a GetRequest whose key is `key`, built by hand so it can
// hold bytes the generated serializer would refuse to produce cleanly.
std::string GetRequestWire(uint32_t store, const std::string& key) {
  std::string wire;
  wire += '\x08';  // field 1, varint
  wire += static_cast<char>(store);
  wire += '\x12';  // field 2, length-delimited
  wire += static_cast<char>(key.size());
  wire += key;
  return wire;
}

TEST(RequestDecoderTest, DecodesAValidRequest) {
  v1::GetRequest request;
  EXPECT_THAT(DecodeRequest(BufferOf(GetRequestWire(5, "k\xC3\xA9y")), request),
              IsOk());
  EXPECT_EQ(request.store(), 5u);
  EXPECT_EQ(request.key(), "k\xC3\xA9y");
}

TEST(RequestDecoderTest, NamesTheFieldWithInvalidUtf8) {
  v1::GetRequest request;
  absl::Status status =
      DecodeRequest(BufferOf(GetRequestWire(5, "ab\xFF")), request);
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field \"key\" of kv.v1.GetRequest is not "
                                 "valid UTF-8 (at byte 2)")));
  EXPECT_EQ(ErrorCodeOf(status), v1::ERROR_CODE_IO);
}

TEST(RequestDecoderTest, NamesTheEntryAndFieldOfANestedMessage) {
  // SetManyRequest{store: 1, entries: [{key: "ok"}, {key: "b\xFF"}]}.
  const std::string wire = std::string("\x08\x01") + "\x12\x04" + "\x0a\x02ok" +
                           "\x12\x05" + "\x0a\x03" + "b\xFF!";
  v1::SetManyRequest request;
  absl::Status status = DecodeRequest(BufferOf(wire), request);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("field \"entries[1].key\" of "
                                         "kv.v1.SetManyRequest is not valid "
                                         "UTF-8 (at byte 1)")));
  v1::GetManyRequest get_many;
  EXPECT_THAT(
      DecodeRequest(BufferOf(std::string("\x12\x01") + "a" + "\x12\x01\xC0"),
                    get_many),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("field \"keys[1]\" of kv.v1.GetManyRequest")));
}

TEST(RequestDecoderTest, RejectsBytesThatAreNotProtobuf) {
  v1::SetRequest request;
  EXPECT_THAT(DecodeRequest(BufferOf("\x12\x7Fshort"), request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a valid kv.v1.SetRequest")));
}

TEST(RequestDecoderTest, EncodesAResponse) {
  v1::GetResponse response;
  response.set_value(std::string("v\0v", 3));
  grpc::ByteBuffer buffer;
  ASSERT_THAT(EncodeResponse(response, buffer), IsOk());
  v1::GetResponse decoded;
  ASSERT_THAT(DecodeRequest(buffer, decoded), IsOk());
  EXPECT_EQ(decoded.value(), response.value());
}

}  // namespace
}  // namespace kv
