#include "tests/kv_test_client.h"

#include <chrono>

#include "grpcpp/client_context.h"

namespace kv::testing {

// Runs `call` with a fresh context and reads the ErrorCode trailer.
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
                             std::string* value) {
  v1::GetRequest request;
  request.set_store(store);
  request.set_key(key);
  v1::GetResponse response;
  CallResult result = Invoke([&](grpc::ClientContext* context) {
    return stub_->Get(context, request, &response);
  });
  if (value != nullptr) *value = response.value();
  return result;
}

CallResult KvTestClient::Set(uint32_t store, const std::string& key,
                             const std::string& value) {
  v1::SetRequest request;
  request.set_store(store);
  request.set_key(key);
  request.set_value(value);
  v1::SetResponse response;
  return Invoke([&](grpc::ClientContext* context) {
    return stub_->Set(context, request, &response);
  });
}

CallResult KvTestClient::Delete(uint32_t store, const std::string& key) {
  v1::DeleteRequest request;
  request.set_store(store);
  request.set_key(key);
  v1::DeleteResponse response;
  return Invoke([&](grpc::ClientContext* context) {
    return stub_->Delete(context, request, &response);
  });
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

}  // namespace kv::testing
