// kvd::Store's async calls beyond Spin's seven (store.h says when `done`
// runs), and UpdateAsync, which chains them.

#include <memory>
#include <utility>

#include "clients/cpp/call.h"
#include "clients/cpp/messages.h"
#include "clients/cpp/store.h"
#include "clients/cpp/timer.h"
#include "clients/cpp/update_retry.h"

namespace kvd {
namespace {

using internal::InvokeAsync;

// What an async call needs of a Store, copied, so that a chain of calls
// (UpdateAsync) depends on the Store no more than one call does.
struct Connection {
  std::shared_ptr<kv::v1::KeyValue::Stub> stub;
  Options options;
  std::string address;
  uint32_t handle = 0;
};

void GetEntryOn(const Connection& c, absl::string_view key,
                Store::Callback<Versioned> done, const CallOptions& call) {
  kv::v1::GetRequest request;
  request.set_store(c.handle);
  request.set_key(std::string(key));
  InvokeAsync<kv::v1::GetRequest, kv::v1::GetResponse>(
      c.stub, c.options, call, c.address, std::move(request),
      KVD_ASYNC_METHOD(Get),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::GetResponse& response) {
        if (!status.ok()) return done(status);
        done(internal::VersionedFrom(response));
      });
}

void SetIfOn(const Connection& c, absl::string_view key,
             absl::string_view value, std::optional<uint64_t> if_revision,
             Store::Callback<uint64_t> done, const CallOptions& call,
             std::optional<Ttl> ttl = std::nullopt) {
  InvokeAsync<kv::v1::SetRequest, kv::v1::SetResponse>(
      c.stub, c.options, call, c.address,
      internal::SetRequestFor(c.handle, key, value, if_revision, ttl),
      KVD_ASYNC_METHOD(Set),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::SetResponse& response) {
        if (!status.ok()) return done(status);
        done(response.revision());
      });
}

}  // namespace

void Store::GetEntryAsync(absl::string_view key, Callback<Versioned> done,
                          const CallOptions& call) {
  GetEntryOn(Connection{stub_, options_, address_, handle()}, key,
             std::move(done), call);
}

void Store::SetIfAsync(absl::string_view key, absl::string_view value,
                       std::optional<uint64_t> if_revision,
                       Callback<uint64_t> done, const CallOptions& call) {
  SetIfOn(Connection{stub_, options_, address_, handle()}, key, value,
          if_revision, std::move(done), call);
}

void Store::SetIfAsync(absl::string_view key, absl::string_view value,
                       std::optional<uint64_t> if_revision, Ttl ttl,
                       Callback<uint64_t> done, const CallOptions& call) {
  SetIfOn(Connection{stub_, options_, address_, handle()}, key, value,
          if_revision, std::move(done), call, ttl);
}

void Store::SetIfAbsentAsync(absl::string_view key, absl::string_view value,
                             Callback<uint64_t> done, const CallOptions& call) {
  SetIfAsync(key, value, 0, std::move(done), call);
}

void Store::SetIfAbsentAsync(absl::string_view key, absl::string_view value,
                             Ttl ttl, Callback<uint64_t> done,
                             const CallOptions& call) {
  SetIfAsync(key, value, 0, ttl, std::move(done), call);
}

void Store::SetAsync(absl::string_view key, absl::string_view value, Ttl ttl,
                     StatusCallback done, const CallOptions& call) {
  SetIfAsync(
      key, value, std::nullopt, ttl,
      [done = std::move(done)](absl::StatusOr<uint64_t> revision) {
        done(revision.status());
      },
      call);
}

void Store::DeleteIfAsync(absl::string_view key,
                          std::optional<uint64_t> if_revision,
                          Callback<uint64_t> done, const CallOptions& call) {
  InvokeAsync<kv::v1::DeleteRequest, kv::v1::DeleteResponse>(
      stub_, options_, call, address_,
      internal::DeleteRequestFor(handle(), key, if_revision),
      KVD_ASYNC_METHOD(Delete),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::DeleteResponse& response) {
        if (!status.ok()) return done(status);
        done(response.revision());
      });
}

void Store::IncrementAsync(absl::string_view key, int64_t delta,
                           Callback<Counter> done, const CallOptions& call) {
  InvokeAsync<kv::v1::IncrementRequest, kv::v1::IncrementResponse>(
      stub_, options_, call, address_,
      internal::IncrementRequestFor(handle(), key, delta),
      KVD_ASYNC_METHOD(Increment),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::IncrementResponse& response) {
        if (!status.ok()) return done(status);
        done(Counter{response.value(), response.revision()});
      });
}

void Store::GetManyAsync(absl::Span<const std::string> keys,
                         Callback<std::vector<Entry>> done,
                         const CallOptions& call) {
  InvokeAsync<kv::v1::GetManyRequest, kv::v1::GetManyResponse>(
      stub_, options_, call, address_,
      internal::GetManyRequestFor(handle(), keys), KVD_ASYNC_METHOD(GetMany),
      [done = std::move(done), requested = keys.size()](
          const absl::Status& status, kv::v1::GetManyResponse& response) {
        if (!status.ok()) return done(status);
        done(internal::EntriesFrom(response, requested));
      });
}

void Store::SetManyAsync(absl::Span<const SetEntry> entries,
                         Callback<std::vector<uint64_t>> done,
                         const CallOptions& call) {
  InvokeAsync<kv::v1::SetManyRequest, kv::v1::SetManyResponse>(
      stub_, options_, call, address_,
      internal::SetManyRequestFor(handle(), entries), KVD_ASYNC_METHOD(SetMany),
      [done = std::move(done), requested = entries.size()](
          const absl::Status& status, kv::v1::SetManyResponse& response) {
        if (!status.ok()) return done(status);
        done(internal::RevisionsFrom(response.revisions(), requested,
                                     "SetMany"));
      });
}

void Store::DeleteManyAsync(absl::Span<const std::string> keys,
                            Callback<std::vector<uint64_t>> done,
                            const CallOptions& call) {
  InvokeAsync<kv::v1::DeleteManyRequest, kv::v1::DeleteManyResponse>(
      stub_, options_, call, address_,
      internal::DeleteManyRequestFor(handle(), keys),
      KVD_ASYNC_METHOD(DeleteMany),
      [done = std::move(done), requested = keys.size()](
          const absl::Status& status, kv::v1::DeleteManyResponse& response) {
        if (!status.ok()) return done(status);
        done(internal::RevisionsFrom(response.revisions(), requested,
                                     "DeleteMany"));
      });
}

void Store::DescribeAsync(Callback<StoreInfo> done, const CallOptions& call) {
  kv::v1::DescribeRequest request;
  request.set_store(handle());
  InvokeAsync<kv::v1::DescribeRequest, kv::v1::DescribeResponse>(
      stub_, options_, call, address_, std::move(request),
      KVD_ASYNC_METHOD(Describe),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::DescribeResponse& response) {
        if (!status.ok()) return done(status);
        done(internal::StoreInfoFrom(response));
      });
}

void Store::UpdateAsync(absl::string_view key, UpdateFunction fn,
                        int max_attempts, Callback<uint64_t> done,
                        const CallOptions& call) {
  auto connection = std::make_shared<const Connection>(
      Connection{stub_, options_, address_, handle()});
  auto shared_key = std::make_shared<const std::string>(key);
  internal::AsyncUpdateSteps steps;
  steps.read = [connection, shared_key,
                call](std::function<void(absl::StatusOr<internal::UpdateRead>)>
                          then) {
    GetEntryOn(
        *connection, *shared_key,
        [then = std::move(then)](absl::StatusOr<Versioned> entry) {
          if (IsNoSuchKey(entry.status())) return then(internal::UpdateRead{});
          if (!entry.ok()) return then(entry.status());
          then(internal::UpdateRead{std::move(entry->value), entry->revision});
        },
        call);
  };
  steps.write = [connection, shared_key, call](
                    std::string value, uint64_t if_revision,
                    std::function<void(absl::StatusOr<uint64_t>)> then) {
    SetIfOn(*connection, *shared_key, value, if_revision, std::move(then),
            call);
  };
  steps.schedule = internal::RunAfter;
  steps.random = internal::UniformRandom;
  internal::RunUpdateAsync(std::move(steps), std::move(fn), max_attempts,
                           std::move(done));
}

}  // namespace kvd
