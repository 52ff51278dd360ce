#include "tools/kv_bench/kvd_target.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/kv_bench/grpc_calls.h"
#include "tools/kv_bench/key_chooser.h"

namespace kv {
namespace bench {
namespace {

// Sets `duration` (whole milliseconds) on `ttl` unless it is infinite.
void SetTtl(absl::Duration duration, google::protobuf::Duration* ttl) {
  const int64_t millis = absl::ToInt64Milliseconds(duration);
  ttl->set_seconds(millis / 1000);
  ttl->set_nanos(static_cast<int32_t>(millis % 1000) * 1000000);
}

}  // namespace

bool InExpiringFraction(uint64_t index, double fraction) {
  // A multiplicative hash spreads consecutive indices over [0, 1).
  const uint64_t scrambled = (index + 1) * 0x9E3779B97F4A7C15ull;
  return static_cast<double>(scrambled >> 11) * 0x1.0p-53 < fraction;
}

KvdTarget::KvdTarget(std::string address, std::string store, int channels,
                     BatchShape batch, KvdCallOptions options)
    : address_(std::move(address)),
      store_(std::move(store)),
      channel_count_(channels),
      batch_(batch),
      options_(options) {}

void KvdTarget::SetExpiring(double fraction, absl::Duration ttl) {
  expiring_fraction_ = fraction;
  expiring_ttl_ = ttl;
}

absl::Duration KvdTarget::TtlFor(const std::string& key) const {
  if (expiring_fraction_ > 0) {
    const absl::optional<uint64_t> index = KeyIndexOf(key);
    if (index.has_value() && InExpiringFraction(*index, expiring_fraction_)) {
      return expiring_ttl_;
    }
  }
  return options_.ttl;
}

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
  slot_revisions_ = std::make_unique<std::atomic<uint64_t>[]>(slots);
  for (int i = 0; i < slots; ++i) slot_revisions_[i] = 0;
  slot_tokens_.assign(slots, std::string());
  return absl::OkStatus();
}

void KvdTarget::StartBatch(Connection& connection, Operation operation,
                           const std::string& key, const std::string& value,
                           uint64_t version, Done done) {
  const uint64_t first = KeyIndexOf(key).value_or(0);
  auto finish = [done = std::move(done)](auto* call, const grpc::Status& s) {
    Outcome outcome{ErrorLabel(s, call->context)};
    delete call;
    done(std::move(outcome));
  };
  if (operation == Operation::kGetMany) {
    auto* call =
        new PendingCall<kv::v1::GetManyRequest, kv::v1::GetManyResponse>;
    call->request.set_store(connection.handle);
    for (int i = 0; i < batch_.size; ++i) {
      call->request.add_keys(KeyName((first + i) % batch_.key_count));
    }
    connection.kv->async()->GetMany(
        &call->context, &call->request, &call->response,
        [call, finish](grpc::Status s) { finish(call, s); });
    return;
  }
  auto* call = new PendingCall<kv::v1::SetManyRequest, kv::v1::SetManyResponse>;
  call->request.set_store(connection.handle);
  for (int i = 0; i < batch_.size; ++i) {
    kv::v1::SetEntry* entry = call->request.add_entries();
    entry->set_key(KeyName((first + i) % batch_.key_count));
    entry->set_value(value);
    StampVersion(version * batch_.size + i, *entry->mutable_value());
    if (options_.ttl != absl::InfiniteDuration()) {
      SetTtl(options_.ttl, entry->mutable_ttl());
    }
  }
  connection.kv->async()->SetMany(
      &call->context, &call->request, &call->response,
      [call, finish](grpc::Status s) { finish(call, s); });
}

void KvdTarget::StartConditionalSet(Connection& connection, int slot,
                                    const std::string& value, uint64_t version,
                                    Done done) {
  auto* call = new PendingCall<kv::v1::SetRequest, kv::v1::SetResponse>;
  call->request.set_store(connection.handle);
  call->request.set_key(absl::StrCat("cas/slot", slot));
  call->request.set_value(value);
  StampVersion(version, *call->request.mutable_value());
  std::atomic<uint64_t>& revision = slot_revisions_[slot];
  const uint64_t expected = revision.load(std::memory_order_acquire);
  if (expected != 0) call->request.set_if_revision(expected);
  connection.kv->async()->Set(
      &call->context, &call->request, &call->response,
      [call, &revision, done = std::move(done)](grpc::Status s) {
        Outcome outcome{ErrorLabel(s, call->context)};
        // On a failed condition, resynchronise from the current revision the
        // error carries; the failure itself is counted.
        uint64_t next = s.ok() ? call->response.revision() : 0;
        const auto& trailers = call->context.GetServerTrailingMetadata();
        auto current = trailers.find("kv-current-revision");
        if (!s.ok() && current != trailers.end()) {
          absl::SimpleAtoi(
              absl::string_view(current->second.data(), current->second.size()),
              &next);
        }
        revision.store(next, std::memory_order_release);
        delete call;
        done(std::move(outcome));
      });
}

void KvdTarget::StartList(Connection& connection, int slot, Done done) {
  auto* call =
      new PendingCall<kv::v1::ListKeysRequest, kv::v1::ListKeysResponse>;
  call->request.set_store(connection.handle);
  call->request.set_page_size(options_.page_size);
  std::string& token = slot_tokens_[slot];
  call->request.set_page_token(token);
  connection.kv->async()->ListKeys(
      &call->context, &call->request, &call->response,
      [call, &token, done = std::move(done)](grpc::Status s) {
        Outcome outcome{ErrorLabel(s, call->context)};
        outcome.keys = static_cast<uint64_t>(call->response.keys_size());
        // After the last page (or a failed call), start the store again.
        token = s.ok() ? call->response.next_page_token() : std::string();
        delete call;
        done(std::move(outcome));
      });
}

absl::Status KvdTarget::Supports(Operation operation) const {
  return absl::OkStatus();
}

void KvdTarget::StartCall(int slot, Operation operation, const std::string& key,
                          const std::string& value, uint64_t version,
                          Done done) {
  Connection& connection = connections_[slot % connections_.size()];
  if (operation == Operation::kGetMany || operation == Operation::kSetMany) {
    StartBatch(connection, operation, key, value, version, std::move(done));
    return;
  }
  if (operation == Operation::kConditionalSet) {
    StartConditionalSet(connection, slot, value, version, std::move(done));
    return;
  }
  if (operation == Operation::kList) {
    StartList(connection, slot, std::move(done));
    return;
  }
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
      const absl::Duration ttl = TtlFor(key);
      if (ttl != absl::InfiniteDuration()) {
        SetTtl(ttl, call->request.mutable_ttl());
      }
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
    case Operation::kIncrement: {
      auto* call =
          new PendingCall<kv::v1::IncrementRequest, kv::v1::IncrementResponse>;
      call->request.set_store(connection.handle);
      call->request.set_key(absl::StrCat("counter/", key));
      call->request.set_delta(1);
      connection.kv->async()->Increment(
          &call->context, &call->request, &call->response,
          [call, finish](grpc::Status s) { finish(call, s); });
      return;
    }
    case Operation::kGetMany:
    case Operation::kSetMany:
    case Operation::kConditionalSet:
    case Operation::kList:
      break;  // Started above, before `done` moved into `finish`.
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
