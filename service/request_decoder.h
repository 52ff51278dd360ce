#ifndef KV_SERVICE_REQUEST_DECODER_H_
#define KV_SERVICE_REQUEST_DECODER_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace kv {

// Parses a serialized request into `message`.
//
// gRPC's own deserialization turns any parse failure into a bare
// UNIMPLEMENTED with no message, and proto3 parsing fails when a `string`
// field holds invalid UTF-8. kvd decodes requests itself so that such a call
// gets InvalidRequestError naming the field, e.g. `field "key" of
// kv.v1.GetRequest is not valid UTF-8 (at byte 3)`.
absl::Status DecodeRequest(const grpc::ByteBuffer& buffer,
                           google::protobuf::Message& message);

// Serializes `message` into `buffer` for a raw callback response.
absl::Status EncodeResponse(const google::protobuf::Message& message,
                            grpc::ByteBuffer& buffer);

}  // namespace kv

#endif  // KV_SERVICE_REQUEST_DECODER_H_
