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
                                 std::optional<uint64_t> if_revision,
                                 std::optional<Ttl> ttl) {
  kv::v1::SetRequest request;
  request.set_store(handle);
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  if (if_revision.has_value()) request.set_if_revision(*if_revision);
  if (ttl.has_value()) SetDuration(*ttl, request.mutable_ttl());
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
    if (entry.ttl.has_value()) SetDuration(*entry.ttl, added->mutable_ttl());
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

kv::v1::ListKeysRequest ListKeysRequestFor(uint32_t handle,
                                           absl::string_view prefix,
                                           int32_t page_size,
                                           absl::string_view page_token) {
  kv::v1::ListKeysRequest request;
  request.set_store(handle);
  request.set_prefix(std::string(prefix));
  request.set_page_size(page_size);
  request.set_page_token(std::string(page_token));
  return request;
}

KeyPage KeyPageFrom(kv::v1::ListKeysResponse& response) {
  KeyPage page;
  page.keys.reserve(response.keys_size());
  for (std::string& key : *response.mutable_keys()) {
    page.keys.push_back(std::move(key));
  }
  page.next_page_token = std::move(*response.mutable_next_page_token());
  return page;
}

void SetDuration(Ttl ttl, google::protobuf::Duration* duration) {
  // Both parts truncate toward zero, so they share the sign, as Duration
  // requires.
  const int64_t ns = ttl.count();
  duration->set_seconds(ns / 1000000000);
  duration->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

std::chrono::milliseconds MillisecondsFrom(
    const google::protobuf::Duration& duration) {
  return std::chrono::milliseconds(duration.seconds() * 1000 +
                                   duration.nanos() / 1000000);
}

ExpireTime ExpireTimeFrom(bool has, const google::protobuf::Timestamp& time) {
  if (!has) return std::nullopt;
  const std::chrono::nanoseconds since_epoch =
      std::chrono::seconds(time.seconds()) +
      std::chrono::nanoseconds(time.nanos());
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          since_epoch));
}

Versioned VersionedFrom(kv::v1::GetResponse& response) {
  return Versioned{
      std::move(*response.mutable_value()), response.revision(),
      ExpireTimeFrom(response.has_expire_time(), response.expire_time())};
}

absl::StatusOr<std::vector<Entry>> EntriesFrom(
    kv::v1::GetManyResponse& response, size_t requested) {
  if (static_cast<size_t>(response.entries_size()) != requested) {
    return CountMismatch("GetMany", response.entries_size(), requested);
  }
  std::vector<Entry> entries;
  entries.reserve(requested);
  for (kv::v1::Entry& entry : *response.mutable_entries()) {
    entries.push_back(
        Entry{std::move(*entry.mutable_key()), entry.found(),
              std::move(*entry.mutable_value()), entry.revision(),
              ExpireTimeFrom(entry.has_expire_time(), entry.expire_time())});
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
  info.max_ttl = MillisecondsFrom(response.limits().max_ttl());
  info.max_page_size = response.limits().max_page_size();
  info.revision = response.revision();
  for (int capability : response.capabilities()) {
    info.capabilities.push_back(static_cast<kv::v1::Capability>(capability));
  }
  info.read_only = response.read_only();
  return info;
}

}  // namespace internal
}  // namespace kvd
