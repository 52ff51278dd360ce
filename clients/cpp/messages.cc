#include "clients/cpp/messages.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kvd {
namespace internal {
namespace {

absl::Status CountMismatch(absl::string_view method, size_t sent,
                           size_t requested) {
  return absl::InternalError(absl::StrCat("kvd answered ", method, " with ",
                                          sent, " entries for ", requested,
                                          " requested"));
}

}  // namespace

kv::v1::SetRequest SetRequestFor(uint32_t handle, absl::string_view key,
                                 absl::string_view value,
                                 std::optional<uint64_t> if_revision) {
  kv::v1::SetRequest request;
  request.set_store(handle);
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  if (if_revision.has_value()) request.set_if_revision(*if_revision);
  return request;
}

kv::v1::DeleteRequest DeleteRequestFor(uint32_t handle, absl::string_view key,
                                       std::optional<uint64_t> if_revision) {
  kv::v1::DeleteRequest request;
  request.set_store(handle);
  request.set_key(std::string(key));
  if (if_revision.has_value()) request.set_if_revision(*if_revision);
  return request;
}

kv::v1::IncrementRequest IncrementRequestFor(uint32_t handle,
                                             absl::string_view key,
                                             int64_t delta) {
  kv::v1::IncrementRequest request;
  request.set_store(handle);
  request.set_key(std::string(key));
  request.set_delta(delta);
  return request;
}

kv::v1::GetManyRequest GetManyRequestFor(uint32_t handle,
                                         absl::Span<const std::string> keys) {
  kv::v1::GetManyRequest request;
  request.set_store(handle);
  request.mutable_keys()->Reserve(static_cast<int>(keys.size()));
  for (const std::string& key : keys) request.add_keys(key);
  return request;
}

kv::v1::SetManyRequest SetManyRequestFor(uint32_t handle,
                                         absl::Span<const SetEntry> entries) {
  kv::v1::SetManyRequest request;
  request.set_store(handle);
  request.mutable_entries()->Reserve(static_cast<int>(entries.size()));
  for (const SetEntry& entry : entries) {
    kv::v1::SetEntry* added = request.add_entries();
    added->set_key(entry.key);
    added->set_value(entry.value);
    if (entry.if_revision.has_value()) {
      added->set_if_revision(*entry.if_revision);
    }
  }
  return request;
}

kv::v1::DeleteManyRequest DeleteManyRequestFor(
    uint32_t handle, absl::Span<const std::string> keys) {
  kv::v1::DeleteManyRequest request;
  request.set_store(handle);
  request.mutable_keys()->Reserve(static_cast<int>(keys.size()));
  for (const std::string& key : keys) request.add_keys(key);
  return request;
}

absl::StatusOr<std::vector<Entry>> EntriesFrom(
    kv::v1::GetManyResponse& response, size_t requested) {
  if (static_cast<size_t>(response.entries_size()) != requested) {
    return CountMismatch("GetMany", response.entries_size(), requested);
  }
  std::vector<Entry> entries;
  entries.reserve(requested);
  for (kv::v1::Entry& entry : *response.mutable_entries()) {
    entries.push_back(Entry{std::move(*entry.mutable_key()), entry.found(),
                            std::move(*entry.mutable_value()),
                            entry.revision()});
  }
  return entries;
}

absl::StatusOr<std::vector<uint64_t>> RevisionsFrom(
    const google::protobuf::RepeatedField<uint64_t>& revisions,
    size_t requested, absl::string_view method) {
  if (static_cast<size_t>(revisions.size()) != requested) {
    return CountMismatch(method, revisions.size(), requested);
  }
  return std::vector<uint64_t>(revisions.begin(), revisions.end());
}

StoreInfo StoreInfoFrom(const kv::v1::DescribeResponse& response) {
  StoreInfo info;
  info.name = response.name();
  info.driver = response.driver();
  info.durability = response.durability();
  info.max_key_bytes = response.limits().max_key_bytes();
  info.max_value_bytes = response.limits().max_value_bytes();
  info.max_batch_entries = response.limits().max_batch_entries();
  info.max_batch_bytes = response.limits().max_batch_bytes();
  info.revision = response.revision();
  for (int capability : response.capabilities()) {
    info.capabilities.push_back(static_cast<kv::v1::Capability>(capability));
  }
  info.read_only = response.read_only();
  return info;
}

}  // namespace internal
}  // namespace kvd
