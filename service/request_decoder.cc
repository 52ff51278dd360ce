#include "service/request_decoder.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/support/slice.h"
#include "service/errors/kv_error.h"
#include "service/request_validation.h"

namespace kv {
namespace {

// Explains why `bytes` did not parse as `message`'s type: a string field
// with invalid UTF-8 (the common case), or wire data that is not protobuf.
absl::Status DiagnoseParseFailure(const std::string& bytes,
                                  const google::protobuf::Message& message) {
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  google::protobuf::UnknownFieldSet fields;
  if (fields.ParseFromString(bytes)) {
    for (int i = 0; i < fields.field_count(); ++i) {
      const google::protobuf::UnknownField& field = fields.field(i);
      if (field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED)
        continue;
      const google::protobuf::FieldDescriptor* known =
          descriptor->FindFieldByNumber(field.number());
      if (known == nullptr ||
          known->type() != google::protobuf::FieldDescriptor::TYPE_STRING)
        continue;
      absl::Status utf8 = ValidateUtf8(field.length_delimited());
      if (!utf8.ok()) {
        return InvalidRequestError(
            absl::StrCat("field \"", known->name(), "\" of ",
                         descriptor->full_name(), " ", utf8.message()));
      }
    }
  }
  return InvalidRequestError(
      absl::StrCat("the request is not a valid ", descriptor->full_name(),
                   " protobuf message (", bytes.size(), " bytes)"));
}

}  // namespace

absl::Status DecodeRequest(const grpc::ByteBuffer& buffer,
                           google::protobuf::Message& message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) {
    return InvalidRequestError("the request body could not be read");
  }
  std::string bytes;
  bytes.reserve(buffer.Length());
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  if (message.ParseFromString(bytes)) return absl::OkStatus();
  return DiagnoseParseFailure(bytes, message);
}

absl::Status EncodeResponse(const google::protobuf::Message& message,
                            grpc::ByteBuffer& buffer) {
  std::string bytes;
  if (!message.SerializeToString(&bytes)) {
    return absl::InternalError(
        absl::StrCat("could not serialize ", message.GetTypeName()));
  }
  grpc::Slice slice(std::move(bytes));
  grpc::ByteBuffer(&slice, 1).Swap(&buffer);
  return absl::OkStatus();
}

}  // namespace kv
