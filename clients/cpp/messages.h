#ifndef KV_CLIENTS_CPP_MESSAGES_H_
#define KV_CLIENTS_CPP_MESSAGES_H_

// The kv.v1 requests of kvd::Store's calls beyond Spin's seven, built from
// the Store's types, and their responses turned back into them; shared by
// the blocking and the async calls. Private to the client.

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "clients/cpp/store_types.h"
#include "kv/v1/kv.pb.h"

namespace kvd {
namespace internal {

kv::v1::SetRequest SetRequestFor(uint32_t handle, absl::string_view key,
                                 absl::string_view value,
                                 std::optional<uint64_t> if_revision,
                                 std::optional<Ttl> ttl = std::nullopt);
kv::v1::DeleteRequest DeleteRequestFor(uint32_t handle, absl::string_view key,
                                       std::optional<uint64_t> if_revision);
kv::v1::IncrementRequest IncrementRequestFor(uint32_t handle,
                                             absl::string_view key,
                                             int64_t delta);
kv::v1::GetManyRequest GetManyRequestFor(uint32_t handle,
                                         absl::Span<const std::string> keys);
kv::v1::SetManyRequest SetManyRequestFor(uint32_t handle,
                                         absl::Span<const SetEntry> entries);
kv::v1::DeleteManyRequest DeleteManyRequestFor(
    uint32_t handle, absl::Span<const std::string> keys);

kv::v1::ListKeysRequest ListKeysRequestFor(uint32_t handle,
                                           absl::string_view prefix,
                                           int32_t page_size,
                                           absl::string_view page_token);
// The page in `response` (keys moved out).
KeyPage KeyPageFrom(kv::v1::ListKeysResponse& response);

// A ttl as a google.protobuf.Duration, exactly (a negative one stays
// negative, for kvd to refuse).
void SetDuration(Ttl ttl, google::protobuf::Duration* duration);
// A Duration in whole milliseconds (a finer part is dropped).
std::chrono::milliseconds MillisecondsFrom(
    const google::protobuf::Duration& duration);
// An expire_time field: std::nullopt unless `has` (the field is set).
ExpireTime ExpireTimeFrom(bool has, const google::protobuf::Timestamp& time);
// Versioned from a GetResponse (value moved out).
Versioned VersionedFrom(kv::v1::GetResponse& response);

// The entries of `response` (values moved out), one per requested key:
// InternalError, naming both counts, if kvd sent another number.
absl::StatusOr<std::vector<Entry>> EntriesFrom(
    kv::v1::GetManyResponse& response, size_t requested);

// The revisions of a SetMany or DeleteMany response, one per entry:
// InternalError, naming both counts, if kvd sent another number.
absl::StatusOr<std::vector<uint64_t>> RevisionsFrom(
    const google::protobuf::RepeatedField<uint64_t>& revisions,
    size_t requested, absl::string_view method);

StoreInfo StoreInfoFrom(const kv::v1::DescribeResponse& response);

}  // namespace internal
}  // namespace kvd

#endif  // KV_CLIENTS_CPP_MESSAGES_H_
