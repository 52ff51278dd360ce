#ifndef KV_CLIENTS_CPP_MESSAGES_H_
#define KV_CLIENTS_CPP_MESSAGES_H_

// The kv.v1 requests of kvd::Store's calls beyond Spin's seven, built from
// the Store's types, and their responses turned back into them; shared by
// the blocking and the async calls. Private to the client.

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
                                 std::optional<uint64_t> if_revision);
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
