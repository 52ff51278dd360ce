#include "tools/kv_bench/etcd_target.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tools/kv_bench/grpc_calls.h"

namespace kv {
namespace bench {

EtcdTarget::EtcdTarget(std::string address, int channels, bool serializable)
    : address_(std::move(address)),
      channel_count_(channels),
      serializable_(serializable) {}

absl::Status EtcdTarget::Prepare(int slots) {
  auto channels = ConnectChannels(address_, channel_count_, absl::Seconds(10));
  if (!channels.ok()) return channels.status();
  for (const auto& channel : *channels) {
    connections_.push_back(
        Connection{etcdserverpb::KV::NewStub(channel),
                   grpc::health::v1::Health::NewStub(channel)});
  }
  return absl::OkStatus();
}

absl::Status EtcdTarget::Supports(Operation operation) const {
  if (IsKvdOnly(operation)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the etcd target has no ", OperationName(operation),
                     "; use get, set, mixed, exists, get_keys or noop"));
  }
  return absl::OkStatus();
}

void EtcdTarget::StartCall(int slot, Operation operation,
                           const std::string& key, const std::string& value,
                           uint64_t version, Done done) {
  Connection& connection = connections_[slot % connections_.size()];
  using RangeCall =
      PendingCall<etcdserverpb::RangeRequest, etcdserverpb::RangeResponse>;
  switch (operation) {
    case Operation::kGet:
    case Operation::kExists:
    case Operation::kGetKeys: {
      auto* call = new RangeCall;
      call->request.set_serializable(serializable_);
      if (operation == Operation::kGetKeys) {
        // Every key with the prefix "kvbench/": [kvbench/, kvbench0).
        call->request.set_key("kvbench/");
        call->request.set_range_end("kvbench0");
        call->request.set_keys_only(true);
      } else {
        call->request.set_key(key);
        call->request.set_count_only(operation == Operation::kExists);
      }
      connection.kv->async()->Range(
          &call->context, &call->request, &call->response,
          [call, operation, done = std::move(done)](grpc::Status s) {
            Outcome outcome{ErrorLabel(s, call->context)};
            if (s.ok() && operation == Operation::kGet &&
                call->response.kvs_size() != 1) {
              outcome.error = "NOT_FOUND";
            }
            delete call;
            done(std::move(outcome));
          });
      return;
    }
    case Operation::kSet: {
      auto* call =
          new PendingCall<etcdserverpb::PutRequest, etcdserverpb::PutResponse>;
      call->request.set_key(key);
      call->request.set_value(value);
      StampVersion(version, *call->request.mutable_value());
      connection.kv->async()->Put(
          &call->context, &call->request, &call->response,
          [call, done = std::move(done)](grpc::Status s) {
            Outcome outcome{ErrorLabel(s, call->context)};
            delete call;
            done(std::move(outcome));
          });
      return;
    }
    case Operation::kNoop: {
      auto* call = new PendingCall<grpc::health::v1::HealthCheckRequest,
                                   grpc::health::v1::HealthCheckResponse>;
      connection.health->async()->Check(
          &call->context, &call->request, &call->response,
          [call, done = std::move(done)](grpc::Status s) {
            Outcome outcome{ErrorLabel(s, call->context)};
            delete call;
            done(std::move(outcome));
          });
      return;
    }
    case Operation::kIncrement:
    case Operation::kGetMany:
    case Operation::kSetMany:
    case Operation::kConditionalSet:
    case Operation::kList:
      // Refused by Supports() before any call.
      done(Outcome{"UNIMPLEMENTED"});
      return;
  }
}

Outcome EtcdTarget::CallSync(int slot, Operation operation,
                             const std::string& key, const std::string& value,
                             uint64_t version) {
  return Outcome{"UNIMPLEMENTED/etcd target is asynchronous"};
}

}  // namespace bench
}  // namespace kv
