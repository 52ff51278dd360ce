#include "tools/kvctl/store_session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/kvctl/call_status.h"
#include "tools/kvctl/kv_error.h"

namespace kv::kvctl {
namespace {

// The error of a finished call that failed.
absl::Status Failed(absl::string_view action, const grpc::Status& status,
                    const grpc::ClientContext& context) {
  return CallError(action, status, kv::ErrorCodeOf(status, context));
}

void SetCallDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace

absl::StatusOr<StoreSession> StoreSession::Open(
    v1::KeyValue::StubInterface& stub, absl::string_view store,
    absl::Duration timeout) {
  grpc::ClientContext context;
  SetCallDeadline(context, timeout);
  v1::OpenRequest request;
  request.set_name(std::string(store));
  v1::OpenResponse response;
  const grpc::Status status = stub.Open(&context, request, &response);
  if (!status.ok()) {
    return Failed(absl::StrCat("open store ", Quote(store)), status, context);
  }
  return StoreSession(stub, std::string(store), timeout, response.store());
}

StoreSession::StoreSession(v1::KeyValue::StubInterface& stub, std::string store,
                           absl::Duration timeout, uint32_t handle)
    : stub_(&stub),
      store_(std::move(store)),
      timeout_(timeout),
      handle_(handle) {}

StoreSession::StoreSession(StoreSession&& other) noexcept
    : stub_(other.stub_),
      store_(std::move(other.store_)),
      timeout_(other.timeout_),
      handle_(std::exchange(other.handle_, 0)) {}

StoreSession::~StoreSession() { Close().IgnoreError(); }

absl::StatusOr<std::string> StoreSession::Get(absl::string_view key) {
  grpc::ClientContext context;
  SetCallDeadline(context, timeout_);
  v1::GetRequest request;
  request.set_store(handle_);
  request.set_key(std::string(key));
  v1::GetResponse response;
  const grpc::Status status = stub_->Get(&context, request, &response);
  if (!status.ok()) {
    return Failed(
        absl::StrCat("get ", Quote(key), " from store ", Quote(store_)), status,
        context);
  }
  return std::move(*response.mutable_value());
}

absl::Status StoreSession::Set(absl::string_view key, absl::string_view value) {
  grpc::ClientContext context;
  SetCallDeadline(context, timeout_);
  v1::SetRequest request;
  request.set_store(handle_);
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  v1::SetResponse response;
  const grpc::Status status = stub_->Set(&context, request, &response);
  if (!status.ok()) {
    return Failed(absl::StrCat("set ", Quote(key), " in store ", Quote(store_)),
                  status, context);
  }
  return absl::OkStatus();
}

absl::Status StoreSession::Delete(absl::string_view key) {
  grpc::ClientContext context;
  SetCallDeadline(context, timeout_);
  v1::DeleteRequest request;
  request.set_store(handle_);
  request.set_key(std::string(key));
  v1::DeleteResponse response;
  const grpc::Status status = stub_->Delete(&context, request, &response);
  if (!status.ok()) {
    return Failed(
        absl::StrCat("delete ", Quote(key), " from store ", Quote(store_)),
        status, context);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> StoreSession::Exists(absl::string_view key) {
  grpc::ClientContext context;
  SetCallDeadline(context, timeout_);
  v1::ExistsRequest request;
  request.set_store(handle_);
  request.set_key(std::string(key));
  v1::ExistsResponse response;
  const grpc::Status status = stub_->Exists(&context, request, &response);
  if (!status.ok()) {
    return Failed(
        absl::StrCat("check ", Quote(key), " in store ", Quote(store_)), status,
        context);
  }
  return response.exists();
}

absl::StatusOr<std::vector<std::string>> StoreSession::GetKeys() {
  grpc::ClientContext context;
  SetCallDeadline(context, timeout_);
  v1::GetKeysRequest request;
  request.set_store(handle_);
  v1::GetKeysResponse response;
  const grpc::Status status = stub_->GetKeys(&context, request, &response);
  if (!status.ok()) {
    return Failed(absl::StrCat("list the keys of store ", Quote(store_)),
                  status, context);
  }
  std::vector<std::string> keys;
  keys.reserve(response.keys_size());
  for (std::string& key : *response.mutable_keys()) {
    keys.push_back(std::move(key));
  }
  return keys;
}

absl::Status StoreSession::Close() {
  if (handle_ == 0) return absl::OkStatus();
  grpc::ClientContext context;
  SetCallDeadline(context, timeout_);
  v1::CloseRequest request;
  request.set_store(std::exchange(handle_, 0));
  v1::CloseResponse response;
  const grpc::Status status = stub_->Close(&context, request, &response);
  if (!status.ok()) {
    return Failed(absl::StrCat("close store ", Quote(store_)), status, context);
  }
  return absl::OkStatus();
}

}  // namespace kv::kvctl
