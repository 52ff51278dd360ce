#include "service/request_decoder.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/support/slice.h"
#include "service/errors/kv_error.h"
#include "service/request_validation.h"

namespace kv {
namespace {

// Nested messages are searched this deep at most (kv.proto nests one level:
// SetManyRequest.entries); a hostile request cannot make the search recurse
// without bound.
constexpr int kMaxDiagnoseDepth = 4;

// The path ("entries[2].key") of the first string field, in `bytes` parsed
// as `descriptor`'s message or in a message nested in it, that is not valid
// UTF-8, and why; nullopt if there is none (or `bytes` is not protobuf).
absl::optional<std::pair<std::string, absl::Status>> FindInvalidUtf8(
    const std::string& bytes, const google::protobuf::Descriptor& descriptor,
    int depth) {
  google::protobuf::UnknownFieldSet fields;
  if (depth > kMaxDiagnoseDepth || !fields.ParseFromString(bytes)) {
    return absl::nullopt;
  }
  absl::flat_hash_map<int, int> seen;  // field number -> occurrences so far
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields.field(i);
    if (field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    const int occurrence = seen[field.number()]++;
    const google::protobuf::FieldDescriptor* known =
        descriptor.FindFieldByNumber(field.number());
    if (known == nullptr) continue;
    std::string name(known->name());
    if (known->is_repeated()) absl::StrAppend(&name, "[", occurrence, "]");
    if (known->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      absl::Status utf8 = ValidateUtf8(field.length_delimited());
      if (!utf8.ok()) return std::make_pair(std::move(name), std::move(utf8));
    } else if (known->type() ==
               google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      auto nested = FindInvalidUtf8(field.length_delimited(),
                                    *known->message_type(), depth + 1);
      if (nested.has_value()) {
        return std::make_pair(absl::StrCat(name, ".", nested->first),
                              std::move(nested->second));
      }
    }
  }
  return absl::nullopt;
}

// Explains why `bytes` did not parse as `message`'s type: a string field
// with invalid UTF-8 (the common case), or wire data that is not protobuf.
absl::Status DiagnoseParseFailure(const std::string& bytes,
                                  const google::protobuf::Message& message) {
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  auto invalid = FindInvalidUtf8(bytes, *descriptor, 0);
  if (invalid.has_value()) {
    return InvalidRequestError(absl::StrCat("field \"", invalid->first,
                                            "\" of ", descriptor->full_name(),
                                            " ", invalid->second.message()));
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
