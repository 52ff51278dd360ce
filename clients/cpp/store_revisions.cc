// kvd::Store's blocking calls beyond Spin's seven: revisions and conditional
// writes, Set with a ttl, Increment, the atomic batches, Describe and Update.

#include <utility>

#include "absl/time/clock.h"
#include "clients/cpp/call.h"
#include "clients/cpp/messages.h"
#include "clients/cpp/store.h"
#include "clients/cpp/update_retry.h"

namespace kvd {
namespace {

using internal::Invoke;

}  // namespace

absl::StatusOr<Versioned> Store::GetEntry(absl::string_view key,
                                          const CallOptions& call) {
  kv::v1::GetRequest request;
  request.set_store(handle());
  request.set_key(std::string(key));
  kv::v1::GetResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->Get(context, request, &response);
      });
  if (!status.ok()) return status;
  return internal::VersionedFrom(response);
}

absl::Status Store::Set(absl::string_view key, absl::string_view value, Ttl ttl,
                        const CallOptions& call) {
  return SetIf(key, value, std::nullopt, ttl, call).status();
}

absl::StatusOr<uint64_t> Store::SetIf(absl::string_view key,
                                      absl::string_view value,
                                      std::optional<uint64_t> if_revision,
                                      const CallOptions& call) {
  return SetWithTtl(key, value, if_revision, std::nullopt, call);
}

absl::StatusOr<uint64_t> Store::SetIf(absl::string_view key,
                                      absl::string_view value,
                                      std::optional<uint64_t> if_revision,
                                      Ttl ttl, const CallOptions& call) {
  return SetWithTtl(key, value, if_revision, ttl, call);
}

absl::StatusOr<uint64_t> Store::SetWithTtl(absl::string_view key,
                                           absl::string_view value,
                                           std::optional<uint64_t> if_revision,
                                           std::optional<Ttl> ttl,
                                           const CallOptions& call) {
  const kv::v1::SetRequest request =
      internal::SetRequestFor(handle(), key, value, if_revision, ttl);
  kv::v1::SetResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->Set(context, request, &response);
      });
  if (!status.ok()) return status;
  return response.revision();
}

absl::StatusOr<uint64_t> Store::SetIfAbsent(absl::string_view key,
                                            absl::string_view value,
                                            const CallOptions& call) {
  return SetIf(key, value, 0, call);
}

absl::StatusOr<uint64_t> Store::SetIfAbsent(absl::string_view key,
                                            absl::string_view value, Ttl ttl,
                                            const CallOptions& call) {
  return SetIf(key, value, 0, ttl, call);
}

absl::StatusOr<uint64_t> Store::DeleteIf(absl::string_view key,
                                         std::optional<uint64_t> if_revision,
                                         const CallOptions& call) {
  const kv::v1::DeleteRequest request =
      internal::DeleteRequestFor(handle(), key, if_revision);
  kv::v1::DeleteResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->Delete(context, request, &response);
      });
  if (!status.ok()) return status;
  return response.revision();
}

absl::StatusOr<Counter> Store::Increment(absl::string_view key, int64_t delta,
                                         const CallOptions& call) {
  const kv::v1::IncrementRequest request =
      internal::IncrementRequestFor(handle(), key, delta);
  kv::v1::IncrementResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->Increment(context, request, &response);
      });
  if (!status.ok()) return status;
  return Counter{response.value(), response.revision()};
}

absl::StatusOr<std::vector<Entry>> Store::GetMany(
    absl::Span<const std::string> keys, const CallOptions& call) {
  const kv::v1::GetManyRequest request =
      internal::GetManyRequestFor(handle(), keys);
  kv::v1::GetManyResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->GetMany(context, request, &response);
      });
  if (!status.ok()) return status;
  return internal::EntriesFrom(response, keys.size());
}

absl::StatusOr<std::vector<uint64_t>> Store::SetMany(
    absl::Span<const SetEntry> entries, const CallOptions& call) {
  const kv::v1::SetManyRequest request =
      internal::SetManyRequestFor(handle(), entries);
  kv::v1::SetManyResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->SetMany(context, request, &response);
      });
  if (!status.ok()) return status;
  return internal::RevisionsFrom(response.revisions(), entries.size(),
                                 "SetMany");
}

absl::StatusOr<std::vector<uint64_t>> Store::DeleteMany(
    absl::Span<const std::string> keys, const CallOptions& call) {
  const kv::v1::DeleteManyRequest request =
      internal::DeleteManyRequestFor(handle(), keys);
  kv::v1::DeleteManyResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->DeleteMany(context, request, &response);
      });
  if (!status.ok()) return status;
  return internal::RevisionsFrom(response.revisions(), keys.size(),
                                 "DeleteMany");
}

absl::StatusOr<StoreInfo> Store::Describe(const CallOptions& call) {
  kv::v1::DescribeRequest request;
  request.set_store(handle());
  kv::v1::DescribeResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->Describe(context, request, &response);
      });
  if (!status.ok()) return status;
  return internal::StoreInfoFrom(response);
}

absl::StatusOr<uint64_t> Store::Update(absl::string_view key,
                                       const UpdateFunction& fn,
                                       int max_attempts,
                                       const CallOptions& call) {
  internal::UpdateSteps steps;
  steps.read = [&]() -> absl::StatusOr<internal::UpdateRead> {
    absl::StatusOr<Versioned> entry = GetEntry(key, call);
    if (IsNoSuchKey(entry.status())) return internal::UpdateRead{};
    if (!entry.ok()) return entry.status();
    return internal::UpdateRead{std::move(entry->value), entry->revision};
  };
  steps.write = [&](const std::string& value, uint64_t if_revision) {
    return SetIf(key, value, if_revision, call);
  };
  steps.sleep = [](absl::Duration delay) { absl::SleepFor(delay); };
  steps.random = internal::UniformRandom;
  return internal::RunUpdate(steps, fn, max_attempts);
}

}  // namespace kvd
