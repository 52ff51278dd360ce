#include "tests/kv_test_client.h"

#include <chrono>
#include <utility>

#include "grpcpp/client_context.h"

namespace kv::testing {
namespace {

// The trailer `key` as an unsigned decimal, or nullopt if it is absent or
// not one (a malformed trailer then fails the test's comparison).
std::optional<uint64_t> NumberTrailer(const grpc::ClientContext& context,
                                      const std::string& key) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(key);
  if (it == trailers.end() || it->second.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : it->second) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace

v1::SetEntry MakeSetEntry(const std::string& key, const std::string& value,
                          std::optional<uint64_t> if_revision) {
  v1::SetEntry entry;
  entry.set_key(key);
  entry.set_value(value);
  if (if_revision.has_value()) entry.set_if_revision(*if_revision);
  return entry;
}

v1::SetEntry MakeSetEntryWithTtl(const std::string& key,
                                 const std::string& value,
                                 std::chrono::nanoseconds ttl) {
  v1::SetEntry entry = MakeSetEntry(key, value);
  *entry.mutable_ttl() = DurationOf(ttl);
  return entry;
}

google::protobuf::Duration DurationOf(std::chrono::nanoseconds ttl) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(ttl);
  google::protobuf::Duration duration;
  duration.set_seconds(seconds.count());
  duration.set_nanos(static_cast<int32_t>((ttl - seconds).count()));
  return duration;
}

// Runs `call` with a fresh context and reads the kvd trailers.
template <typename Call>
CallResult KvTestClient::Invoke(Call call) {
  grpc::ClientContext context;
  if (!token_.empty()) context.AddMetadata("authorization", "Bearer " + token_);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  CallResult result;
  result.status = call(&context);
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("kv-error-code");
  if (it != trailers.end()) {
    v1::ErrorCode_Parse(std::string(it->second.data(), it->second.size()),
                        &result.error_code);
  }
  result.current_revision = NumberTrailer(context, "kv-current-revision");
  if (std::optional<uint64_t> index =
          NumberTrailer(context, "kv-failed-index")) {
    result.failed_index = static_cast<size_t>(*index);
  }
  return result;
}

KvTestClient::KvTestClient(std::shared_ptr<grpc::Channel> channel,
                           std::string token)
    : stub_(v1::KeyValue::NewStub(std::move(channel))),
      token_(std::move(token)) {}

CallResult KvTestClient::Open(const std::string& name, uint32_t* store) {
  v1::OpenRequest request;
  request.set_name(name);
  v1::OpenResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->Open(context, request, &response);
  });
  if (store != nullptr) *store = response.store();
  return result;
}

CallResult KvTestClient::Get(uint32_t store, const std::string& key,
                             std::string* value, uint64_t* revision) {
  v1::GetRequest request;
  request.set_store(store);
  request.set_key(key);
  v1::GetResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->Get(context, request, &response);
  });
  if (value != nullptr) *value = response.value();
  if (revision != nullptr) *revision = response.revision();
  return result;
}

CallResult KvTestClient::Set(uint32_t store, const std::string& key,
                             const std::string& value,
                             std::optional<uint64_t> if_revision,
                             uint64_t* revision) {
  v1::SetRequest request;
  request.set_store(store);
  request.set_key(key);
  request.set_value(value);
  if (if_revision.has_value()) request.set_if_revision(*if_revision);
  v1::SetResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->Set(context, request, &response);
  });
  if (revision != nullptr) *revision = response.revision();
  return result;
}

CallResult KvTestClient::Delete(uint32_t store, const std::string& key,
                                std::optional<uint64_t> if_revision,
                                uint64_t* revision) {
  v1::DeleteRequest request;
  request.set_store(store);
  request.set_key(key);
  if (if_revision.has_value()) request.set_if_revision(*if_revision);
  v1::DeleteResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->Delete(context, request, &response);
  });
  if (revision != nullptr) *revision = response.revision();
  return result;
}

CallResult KvTestClient::Exists(uint32_t store, const std::string& key,
                                bool* exists) {
  v1::ExistsRequest request;
  request.set_store(store);
  request.set_key(key);
  v1::ExistsResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->Exists(context, request, &response);
  });
  if (exists != nullptr) *exists = response.exists();
  return result;
}

CallResult KvTestClient::GetKeys(uint32_t store,
                                 std::vector<std::string>* keys) {
  v1::GetKeysRequest request;
  request.set_store(store);
  v1::GetKeysResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->GetKeys(context, request, &response);
  });
  if (keys != nullptr)
    keys->assign(response.keys().begin(), response.keys().end());
  return result;
}

CallResult KvTestClient::Close(uint32_t store) {
  v1::CloseRequest request;
  request.set_store(store);
  v1::CloseResponse response;
  return Invoke([&](grpc::ClientContext* context) {
    return stub_->Close(context, request, &response);
  });
}

CallResult KvTestClient::Increment(uint32_t store, const std::string& key,
                                   int64_t delta, int64_t* value,
                                   uint64_t* revision) {
  v1::IncrementRequest request;
  request.set_store(store);
  request.set_key(key);
  request.set_delta(delta);
  v1::IncrementResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->Increment(context, request, &response);
  });
  if (value != nullptr) *value = response.value();
  if (revision != nullptr) *revision = response.revision();
  return result;
}

CallResult KvTestClient::GetMany(uint32_t store,
                                 const std::vector<std::string>& keys,
                                 std::vector<v1::Entry>* entries) {
  v1::GetManyRequest request;
  request.set_store(store);
  for (const std::string& key : keys) request.add_keys(key);
  v1::GetManyResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->GetMany(context, request, &response);
  });
  if (entries != nullptr) {
    entries->assign(response.entries().begin(), response.entries().end());
  }
  return result;
}

CallResult KvTestClient::SetMany(uint32_t store,
                                 const std::vector<v1::SetEntry>& entries,
                                 std::vector<uint64_t>* revisions) {
  v1::SetManyRequest request;
  request.set_store(store);
  for (const v1::SetEntry& entry : entries) *request.add_entries() = entry;
  v1::SetManyResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->SetMany(context, request, &response);
  });
  if (revisions != nullptr) {
    revisions->assign(response.revisions().begin(), response.revisions().end());
  }
  return result;
}

CallResult KvTestClient::DeleteMany(uint32_t store,
                                    const std::vector<std::string>& keys,
                                    std::vector<uint64_t>* revisions) {
  v1::DeleteManyRequest request;
  request.set_store(store);
  for (const std::string& key : keys) request.add_keys(key);
  v1::DeleteManyResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->DeleteMany(context, request, &response);
  });
  if (revisions != nullptr) {
    revisions->assign(response.revisions().begin(), response.revisions().end());
  }
  return result;
}

CallResult KvTestClient::Describe(uint32_t store,
                                  v1::DescribeResponse* description) {
  v1::DescribeRequest request;
  request.set_store(store);
  v1::DescribeResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->Describe(context, request, &response);
  });
  if (description != nullptr) *description = std::move(response);
  return result;
}

CallResult KvTestClient::GetResponse(uint32_t store, const std::string& key,
                                     v1::GetResponse* response) {
  v1::GetRequest request;
  request.set_store(store);
  request.set_key(key);
  v1::GetResponse received;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->Get(context, request, &received);
  });
  if (response != nullptr) *response = std::move(received);
  return result;
}

CallResult KvTestClient::SetWithTtl(uint32_t store, const std::string& key,
                                    const std::string& value,
                                    std::chrono::nanoseconds ttl,
                                    uint64_t* revision) {
  v1::SetRequest request;
  request.set_store(store);
  request.set_key(key);
  request.set_value(value);
  *request.mutable_ttl() = DurationOf(ttl);
  v1::SetResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->Set(context, request, &response);
  });
  if (revision != nullptr) *revision = response.revision();
  return result;
}

CallResult KvTestClient::ListKeys(uint32_t store, const std::string& prefix,
                                  int32_t page_size,
                                  const std::string& page_token,
                                  std::vector<std::string>* keys,
                                  std::string* next_page_token) {
  v1::ListKeysRequest request;
  request.set_store(store);
  request.set_prefix(prefix);
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  v1::ListKeysResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->ListKeys(context, request, &response);
  });
  if (keys != nullptr) {
    keys->assign(response.keys().begin(), response.keys().end());
  }
  if (next_page_token != nullptr) *next_page_token = response.next_page_token();
  return result;
}

}  // namespace kv::testing
