// kvd::Store's *Async methods, on gRPC's callback API (store.h says when
// `done` runs).

#include <utility>

#include "clients/cpp/call.h"
#include "clients/cpp/store.h"

namespace kvd {
namespace {

using internal::InvokeAsync;

}  // namespace

void Store::OpenOverAsync(absl::string_view name,
                          std::shared_ptr<grpc::ChannelInterface> channel,
                          const Options& options, std::string address,
                          Callback<Store> done) {
  std::shared_ptr<kv::v1::KeyValue::Stub> stub =
      internal::NewStub(std::move(channel));
  kv::v1::OpenRequest request;
  request.set_name(std::string(name));
  InvokeAsync<kv::v1::OpenRequest, kv::v1::OpenResponse>(
      stub, options, CallOptions{}, address, std::move(request),
      KVD_ASYNC_METHOD(Open),
      [stub, options, address, name = std::string(name),
       done = std::move(done)](const absl::Status& status,
                               kv::v1::OpenResponse& response) {
        if (!status.ok()) return done(status);
        done(Store(stub, options, address, name, response.store()));
      });
}

void Store::GetAsync(absl::string_view key, Callback<std::string> done,
                     const CallOptions& call) {
  kv::v1::GetRequest request;
  request.set_store(handle());
  request.set_key(std::string(key));
  InvokeAsync<kv::v1::GetRequest, kv::v1::GetResponse>(
      stub_, options_, call, address_, std::move(request),
      KVD_ASYNC_METHOD(Get),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::GetResponse& response) {
        if (!status.ok()) return done(status);
        done(std::move(*response.mutable_value()));
      });
}

void Store::SetAsync(absl::string_view key, absl::string_view value,
                     StatusCallback done, const CallOptions& call) {
  kv::v1::SetRequest request;
  request.set_store(handle());
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  InvokeAsync<kv::v1::SetRequest, kv::v1::SetResponse>(
      stub_, options_, call, address_, std::move(request),
      KVD_ASYNC_METHOD(Set),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::SetResponse&) { done(status); });
}

void Store::DeleteAsync(absl::string_view key, StatusCallback done,
                        const CallOptions& call) {
  kv::v1::DeleteRequest request;
  request.set_store(handle());
  request.set_key(std::string(key));
  InvokeAsync<kv::v1::DeleteRequest, kv::v1::DeleteResponse>(
      stub_, options_, call, address_, std::move(request),
      KVD_ASYNC_METHOD(Delete),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::DeleteResponse&) { done(status); });
}

void Store::ExistsAsync(absl::string_view key, Callback<bool> done,
                        const CallOptions& call) {
  kv::v1::ExistsRequest request;
  request.set_store(handle());
  request.set_key(std::string(key));
  InvokeAsync<kv::v1::ExistsRequest, kv::v1::ExistsResponse>(
      stub_, options_, call, address_, std::move(request),
      KVD_ASYNC_METHOD(Exists),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::ExistsResponse& response) {
        if (!status.ok()) return done(status);
        done(response.exists());
      });
}

void Store::GetKeysAsync(Callback<std::vector<std::string>> done,
                         const CallOptions& call) {
  kv::v1::GetKeysRequest request;
  request.set_store(handle());
  InvokeAsync<kv::v1::GetKeysRequest, kv::v1::GetKeysResponse>(
      stub_, options_, call, address_, std::move(request),
      KVD_ASYNC_METHOD(GetKeys),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::GetKeysResponse& response) {
        if (!status.ok()) return done(status);
        done(std::vector<std::string>(response.keys().begin(),
                                      response.keys().end()));
      });
}

void Store::CloseAsync(StatusCallback done, const CallOptions& call) {
  // Checked before the handle is taken, so a bad timeout leaves it open.
  if (absl::StatusOr<absl::Duration> timeout =
          internal::CallTimeout(options_, call);
      !timeout.ok()) {
    return done(timeout.status());
  }
  const uint32_t handle = handle_.exchange(0);
  if (stub_ == nullptr || handle == 0) return done(absl::OkStatus());
  kv::v1::CloseRequest request;
  request.set_store(handle);
  InvokeAsync<kv::v1::CloseRequest, kv::v1::CloseResponse>(
      stub_, options_, call, address_, std::move(request),
      KVD_ASYNC_METHOD(Close),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::CloseResponse&) { done(status); });
}

}  // namespace kvd
