#include "tools/kv_bench/kvd_target.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tools/kv_bench/grpc_calls.h"

namespace kv {
namespace bench {

KvdTarget::KvdTarget(std::string address, std::string store, int channels)
    : address_(std::move(address)),
      store_(std::move(store)),
      channel_count_(channels) {}

KvdTarget::~KvdTarget() {
  for (Connection& connection : connections_) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    kv::v1::CloseRequest request;
    kv::v1::CloseResponse response;
    request.set_store(connection.handle);
    // Best effort: a handle left open is reclaimed when it idles out.
    connection.kv->Close(&context, request, &response);
  }
}

absl::Status KvdTarget::Prepare(int slots) {
  auto channels = ConnectChannels(address_, channel_count_, absl::Seconds(10));
  if (!channels.ok()) return channels.status();
  for (const auto& channel : *channels) {
    Connection connection;
    connection.kv = kv::v1::KeyValue::NewStub(channel);
    connection.health = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    kv::v1::OpenRequest request;
    kv::v1::OpenResponse response;
    request.set_name(store_);
    grpc::Status status = connection.kv->Open(&context, request, &response);
    if (!status.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "kvd at ", address_, ": Open(\"", store_, "\") failed: ",
          ErrorLabel(status, context), ": ", status.error_message()));
    }
    connection.handle = response.store();
    connections_.push_back(std::move(connection));
  }
  return absl::OkStatus();
}

absl::Status KvdTarget::Supports(Operation operation) const {
  return absl::OkStatus();
}

void KvdTarget::StartCall(int slot, Operation operation, const std::string& key,
                          const std::string& value, uint64_t version,
                          Done done) {
  Connection& connection = connections_[slot % connections_.size()];
  auto finish = [done = std::move(done)](auto* call, const grpc::Status& s) {
    Outcome outcome{ErrorLabel(s, call->context)};
    delete call;
    done(std::move(outcome));
  };
  switch (operation) {
    case Operation::kGet: {
      auto* call = new PendingCall<kv::v1::GetRequest, kv::v1::GetResponse>;
      call->request.set_store(connection.handle);
      call->request.set_key(key);
      connection.kv->async()->Get(
          &call->context, &call->request, &call->response,
          [call, finish](grpc::Status s) { finish(call, s); });
      return;
    }
    case Operation::kSet: {
      auto* call = new PendingCall<kv::v1::SetRequest, kv::v1::SetResponse>;
      call->request.set_store(connection.handle);
      call->request.set_key(key);
      call->request.set_value(value);
      StampVersion(version, *call->request.mutable_value());
      connection.kv->async()->Set(
          &call->context, &call->request, &call->response,
          [call, finish](grpc::Status s) { finish(call, s); });
      return;
    }
    case Operation::kExists: {
      auto* call =
          new PendingCall<kv::v1::ExistsRequest, kv::v1::ExistsResponse>;
      call->request.set_store(connection.handle);
      call->request.set_key(key);
      connection.kv->async()->Exists(
          &call->context, &call->request, &call->response,
          [call, finish](grpc::Status s) { finish(call, s); });
      return;
    }
    case Operation::kGetKeys: {
      auto* call =
          new PendingCall<kv::v1::GetKeysRequest, kv::v1::GetKeysResponse>;
      call->request.set_store(connection.handle);
      connection.kv->async()->GetKeys(
          &call->context, &call->request, &call->response,
          [call, finish](grpc::Status s) { finish(call, s); });
      return;
    }
    case Operation::kNoop: {
      auto* call = new PendingCall<grpc::health::v1::HealthCheckRequest,
                                   grpc::health::v1::HealthCheckResponse>;
      connection.health->async()->Check(
          &call->context, &call->request, &call->response,
          [call, finish](grpc::Status s) { finish(call, s); });
      return;
    }
  }
}

Outcome KvdTarget::CallSync(int slot, Operation operation,
                            const std::string& key, const std::string& value,
                            uint64_t version) {
  return Outcome{"UNIMPLEMENTED/kvd target is asynchronous"};
}

}  // namespace bench
}  // namespace kv
