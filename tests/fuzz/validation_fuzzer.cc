// Fuzzes the checks every request passes before a driver sees it: UTF-8,
// key and value validation (service/request_validation.h) and the decoding
// of raw request bytes (service/request_decoder.h).
//
// Besides "no crash", it checks these properties and aborts when one fails:
// - ValidateUtf8 agrees with protobuf's own UTF-8 check on a string field;
// - ValidateKey accepts exactly the keys of 1..max bytes that are UTF-8, and
//   every rejection is INVALID_ARGUMENT with kvd's error code IO;
// - DecodeRequest of any bytes gives a message or INVALID_ARGUMENT, and a
//   decoded message re-encodes and decodes to the same message;
// - ValidateBatch (service/batch_validation.h) accepts exactly the batches
//   within its limits with valid, distinct keys;
// - RequestedTtl (service/expiry_fields.h) accepts exactly the valid
//   Durations of 1 ms to 10 years (after truncation to the millisecond) on
//   a decoded Set or SetMany entry, and returns them in whole milliseconds;
// - DecodePageToken (service/page_token.h) of a decoded ListKeys request's
//   token accepts only what EncodePageToken makes: a token it accepts
//   re-encodes to itself and resumes after a key with the prefix;
// - error messages stay under 2 KiB, whatever the input's size.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "kv/v1/kv.pb.h"
#include "service/batch_validation.h"
#include "service/errors/kv_error.h"
#include "service/expiry_fields.h"
#include "service/limits.h"
#include "service/page_token.h"
#include "service/request_decoder.h"
#include "service/request_validation.h"

namespace {

[[noreturn]] void Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "validation_fuzzer: %s: %s\n", what.c_str(),
               status.ToString().c_str());
  std::abort();
}

// An error message travels in gRPC trailers, which clients refuse past
// 8 KiB: it must not grow with the request.
constexpr size_t kMaxMessageBytes = 2048;

// A rejected request must be INVALID_ARGUMENT carrying kvd's error code,
// with a message of bounded size.
void CheckRejection(const std::string& what, const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument ||
      kv::ErrorCodeOf(status) != kv::v1::ERROR_CODE_IO) {
    Fail(what + " rejected with the wrong status", status);
  }
  if (status.message().size() > kMaxMessageBytes) {
    Fail(what + " rejected with an oversize message", status);
  }
}

// A string field (GetRequest.key, field 2) holding `text`, as wire bytes.
std::string KeyFieldBytes(absl::string_view text) {
  std::string bytes = "\x12";
  for (size_t length = text.size();; length >>= 7) {
    const uint8_t low = length & 0x7F;
    if (length < 0x80) {
      bytes.push_back(static_cast<char>(low));
      break;
    }
    bytes.push_back(static_cast<char>(low | 0x80));
  }
  bytes.append(text.data(), text.size());
  return bytes;
}

void CheckUtf8(absl::string_view text) {
  const bool ours = kv::ValidateUtf8(text).ok();
  kv::v1::GetRequest request;
  const bool protobufs = request.ParseFromString(KeyFieldBytes(text));
  if (ours != protobufs) {
    Fail(std::string("ValidateUtf8 says ") + (ours ? "valid" : "invalid") +
             " where protobuf disagrees",
         absl::OkStatus());
  }
}

void CheckKey(absl::string_view key, size_t max_key_bytes) {
  const absl::Status status = kv::ValidateKey(key, max_key_bytes);
  const bool should_pass =
      !key.empty() && key.size() <= max_key_bytes && kv::ValidateUtf8(key).ok();
  if (status.ok() != should_pass) Fail("ValidateKey", status);
  if (!status.ok()) CheckRejection("ValidateKey", status);
}

void CheckValue(absl::string_view key, size_t value_size, size_t max) {
  const absl::Status status = kv::ValidateValue(key, value_size, max);
  if (status.ok() != (value_size <= max)) Fail("ValidateValue", status);
  if (!status.ok()) CheckRejection("ValidateValue", status);
}

grpc::ByteBuffer BufferOf(absl::string_view bytes) {
  grpc::Slice slice(bytes.data(), bytes.size());
  return grpc::ByteBuffer(&slice, 1);
}

// The request types, one per RPC, chosen by bits 0-5 of the selector.
constexpr int kRequestTypes = 13;

std::unique_ptr<google::protobuf::Message> NewRequest(uint8_t selector) {
  switch ((selector & 0x3F) % kRequestTypes) {
    case 0:
      return std::make_unique<kv::v1::OpenRequest>();
    case 1:
      return std::make_unique<kv::v1::GetRequest>();
    case 2:
      return std::make_unique<kv::v1::SetRequest>();
    case 3:
      return std::make_unique<kv::v1::DeleteRequest>();
    case 4:
      return std::make_unique<kv::v1::ExistsRequest>();
    case 5:
      return std::make_unique<kv::v1::GetKeysRequest>();
    case 6:
      return std::make_unique<kv::v1::CloseRequest>();
    case 7:
      return std::make_unique<kv::v1::IncrementRequest>();
    case 8:
      return std::make_unique<kv::v1::GetManyRequest>();
    case 9:
      return std::make_unique<kv::v1::SetManyRequest>();
    case 10:
      return std::make_unique<kv::v1::DeleteManyRequest>();
    case 11:
      return std::make_unique<kv::v1::DescribeRequest>();
    default:
      return std::make_unique<kv::v1::ListKeysRequest>();
  }
}

// RequestedTtl accepts exactly the valid Durations whose whole milliseconds
// are within [1 ms, max], and returns those milliseconds.
void CheckTtl(bool has_ttl, const google::protobuf::Duration& ttl) {
  const absl::Duration max = absl::Hours(24 * 3650);
  const absl::StatusOr<absl::Duration> got =
      kv::RequestedTtl(has_ttl, ttl, max, "ttl");
  if (!has_ttl) {
    if (!got.ok() || *got != absl::InfiniteDuration()) {
      Fail("RequestedTtl of an unset ttl", got.status());
    }
    return;
  }
  const int64_t seconds = ttl.seconds();
  const int32_t nanos = ttl.nanos();
  const bool valid = nanos > -1000000000 && nanos < 1000000000 &&
                     !(seconds > 0 && nanos < 0) && !(seconds < 0 && nanos > 0);
  // In 128 bits: seconds * 10^9 overflows 64.
  const __int128 total = static_cast<__int128>(seconds) * 1000000000 + nanos;
  const __int128 millis = total / 1000000;  // Toward zero: truncation.
  const __int128 max_millis = absl::ToInt64Milliseconds(max);
  const bool should_pass = valid && millis >= 1 && millis <= max_millis;
  if (got.ok() != should_pass) Fail("RequestedTtl", got.status());
  if (!got.ok()) {
    CheckRejection("RequestedTtl", got.status());
    return;
  }
  if (absl::ToInt64Milliseconds(*got) != static_cast<int64_t>(millis) ||
      *got != absl::Milliseconds(static_cast<int64_t>(millis))) {
    Fail("RequestedTtl returned another duration", absl::OkStatus());
  }
}

// DecodePageToken refuses, with a bounded INVALID_ARGUMENT, every token
// EncodePageToken did not make for this store and prefix; one it accepts
// re-encodes to itself and resumes after a non-empty key with the prefix.
void CheckPageToken(const kv::v1::ListKeysRequest& request) {
  const std::string& token = request.page_token();
  const std::string& prefix = request.prefix();
  const absl::StatusOr<std::string> after =
      kv::DecodePageToken(token, "default", prefix);
  if (!after.ok()) {
    CheckRejection("DecodePageToken", after.status());
    return;
  }
  if (after->empty() || after->compare(0, prefix.size(), prefix) != 0) {
    Fail("DecodePageToken resumed after a key without the prefix",
         absl::OkStatus());
  }
  if (kv::EncodePageToken("default", prefix, *after) != token) {
    Fail("an accepted page token is not the one EncodePageToken makes",
         absl::OkStatus());
  }
  // The token is bound to its store.
  const absl::StatusOr<std::string> elsewhere =
      kv::DecodePageToken(token, "other", prefix);
  if (elsewhere.ok()) {
    Fail("a page token of store \"default\" continues store \"other\"",
         absl::OkStatus());
  }
  CheckRejection("DecodePageToken (another store)", elsewhere.status());
}

// The ttl and page-token checks of a decoded request, if it has one.
void CheckExpiryAndPaging(const google::protobuf::Message& message) {
  if (const auto* set = dynamic_cast<const kv::v1::SetRequest*>(&message)) {
    CheckTtl(set->has_ttl(), set->ttl());
  } else if (const auto* many =
                 dynamic_cast<const kv::v1::SetManyRequest*>(&message)) {
    for (const kv::v1::SetEntry& entry : many->entries()) {
      CheckTtl(entry.has_ttl(), entry.ttl());
    }
  } else if (const auto* list =
                 dynamic_cast<const kv::v1::ListKeysRequest*>(&message)) {
    CheckPageToken(*list);
    // And a token made for it decodes to the key it was made with.
    const std::string key = list->prefix() + "k";
    const std::string made = kv::EncodePageToken("s", list->prefix(), key);
    const absl::StatusOr<std::string> back =
        kv::DecodePageToken(made, "s", list->prefix());
    if (!back.ok() || *back != key) {
      Fail("a page token does not decode to its key", back.status());
    }
  }
}

// ValidateBatch accepts exactly the batches within the limits whose keys are
// valid and distinct, and every rejection is INVALID_ARGUMENT with IO.
void CheckBatch(const google::protobuf::Message& message,
                size_t max_key_bytes) {
  std::vector<std::string> keys;
  std::vector<size_t> value_sizes;
  if (const auto* set = dynamic_cast<const kv::v1::SetManyRequest*>(&message)) {
    for (const kv::v1::SetEntry& entry : set->entries()) {
      keys.push_back(entry.key());
      value_sizes.push_back(entry.value().size());
    }
  } else if (const auto* get =
                 dynamic_cast<const kv::v1::GetManyRequest*>(&message)) {
    keys.assign(get->keys().begin(), get->keys().end());
  } else if (const auto* del =
                 dynamic_cast<const kv::v1::DeleteManyRequest*>(&message)) {
    keys.assign(del->keys().begin(), del->keys().end());
  } else {
    return;
  }
  value_sizes.resize(keys.size(), 0);
  // Small limits, so both sides of each check are reached.
  kv::Limits limits;
  limits.max_key_bytes = max_key_bytes;
  limits.max_value_bytes = 64;
  limits.max_batch_entries = 4;
  limits.max_batch_bytes = 128;
  const absl::Status status = kv::ValidateBatch(
      "Batch", keys.size(),
      [&](size_t i) -> absl::string_view { return keys[i]; },
      [&](size_t i) { return value_sizes[i]; }, limits);
  bool should_pass = keys.size() <= limits.max_batch_entries;
  std::set<std::string> seen;
  size_t bytes = 0;
  for (size_t i = 0; should_pass && i < keys.size(); ++i) {
    bytes += keys[i].size() + value_sizes[i];
    should_pass = kv::ValidateKey(keys[i], max_key_bytes).ok() &&
                  value_sizes[i] <= limits.max_value_bytes &&
                  seen.insert(keys[i]).second &&
                  bytes <= limits.max_batch_bytes;
  }
  if (status.ok() != should_pass) Fail("ValidateBatch", status);
  if (!status.ok()) CheckRejection("ValidateBatch", status);
}

void CheckDecode(uint8_t selector, absl::string_view bytes) {
  std::unique_ptr<google::protobuf::Message> message = NewRequest(selector);
  const absl::Status status = kv::DecodeRequest(BufferOf(bytes), *message);
  if (!status.ok()) {
    CheckRejection("DecodeRequest", status);
    return;
  }
  grpc::ByteBuffer encoded;
  const absl::Status encode = kv::EncodeResponse(*message, encoded);
  if (!encode.ok()) Fail("re-encoding a decoded request", encode);
  std::unique_ptr<google::protobuf::Message> again = NewRequest(selector);
  const absl::Status redecode = kv::DecodeRequest(encoded, *again);
  if (!redecode.ok()) Fail("decoding a re-encoded request", redecode);
  if (!google::protobuf::util::MessageDifferencer::Equals(*message, *again)) {
    Fail("a re-encoded request decodes differently", absl::OkStatus());
  }
  CheckBatch(*message, selector & 0x80 ? 256 : (selector & 0x40 ? 65536 : 8));
  CheckExpiryAndPaging(*message);
}

}  // namespace

// Input: one selector byte (bits 0-5: which request type to decode into,
// mod 13; bit 7: a key limit of 256, else bit 6: 65536, else 8), then the
// bytes under test.
// Protobuf logs every string field with invalid UTF-8 it parses; the
// fuzzers make millions of them on purpose.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const absl::string_view bytes(reinterpret_cast<const char*>(data + 1),
                                size - 1);
  // Small limits too, so that the fuzzer reaches both sides of each check.
  // 65536 is the largest limit the config allows.
  const size_t max_key_bytes =
      selector & 0x80 ? 256 : (selector & 0x40 ? 65536 : 8);
  CheckUtf8(bytes);
  CheckKey(bytes, max_key_bytes);
  CheckValue(bytes.substr(0, 8), bytes.size(), max_key_bytes);
  CheckDecode(selector, bytes);
  return 0;
}
