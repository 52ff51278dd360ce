#include "clients/cpp/fake_key_value.h"

#include <utility>

#include "clients/cpp/error_code.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/channel_arguments.h"

namespace kvd {
namespace {

grpc::Status KvError(grpc::ServerContext* context, grpc::StatusCode code,
                     kv::v1::ErrorCode error_code, const std::string& message) {
  context->AddTrailingMetadata(kErrorCodeTrailer,
                               kv::v1::ErrorCode_Name(error_code));
  return grpc::Status(code, message);
}

}  // namespace

void FakeKeyValue::FailNextCall(grpc::Status status, std::string error_code,
                                std::string method) {
  absl::MutexLock lock(&mu_);
  failure_ = std::move(status);
  failure_code_ = std::move(error_code);
  failure_method_ = std::move(method);
}

int FakeKeyValue::set_calls() const {
  absl::MutexLock lock(&mu_);
  return set_calls_;
}

int FakeKeyValue::open_handles() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(handles_.size());
}

int FakeKeyValue::close_calls() const {
  absl::MutexLock lock(&mu_);
  return close_calls_;
}

absl::Time FakeKeyValue::last_deadline() const {
  absl::MutexLock lock(&mu_);
  return last_deadline_;
}

std::string FakeKeyValue::last_authorization() const {
  absl::MutexLock lock(&mu_);
  return last_authorization_;
}

grpc::Status FakeKeyValue::TakeFailure(grpc::ServerContext* context,
                                       absl::string_view method) {
  absl::MutexLock lock(&mu_);
  const auto deadline = context->deadline();
  last_deadline_ = deadline == std::chrono::system_clock::time_point::max()
                       ? absl::InfiniteFuture()
                       : absl::FromChrono(deadline);
  const auto& metadata = context->client_metadata();
  const auto authorization = metadata.find("authorization");
  last_authorization_ = authorization == metadata.end()
                            ? ""
                            : std::string(authorization->second.data(),
                                          authorization->second.size());
  if (!failure_.has_value()) return grpc::Status::OK;
  if (!failure_method_.empty() && failure_method_ != method) {
    return grpc::Status::OK;
  }
  grpc::Status status = *std::move(failure_);
  failure_.reset();
  if (!failure_code_.empty()) {
    context->AddTrailingMetadata(kErrorCodeTrailer, failure_code_);
  }
  return status;
}

grpc::Status FakeKeyValue::CheckHandle(grpc::ServerContext* context,
                                       uint32_t handle) {
  if (handles_.count(handle) != 0) return grpc::Status::OK;
  return KvError(
      context, grpc::StatusCode::FAILED_PRECONDITION,
      kv::v1::ERROR_CODE_INVALID_STORE,
      "INVALID_STORE: handle " + std::to_string(handle) + " is not open");
}

grpc::Status FakeKeyValue::Open(grpc::ServerContext* context,
                                const kv::v1::OpenRequest* request,
                                kv::v1::OpenResponse* response) {
  if (grpc::Status s = TakeFailure(context, "Open"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (request->name() != "default") {
    return KvError(
        context, grpc::StatusCode::NOT_FOUND, kv::v1::ERROR_CODE_NO_SUCH_STORE,
        "NO_SUCH_STORE: store \"" + request->name() + "\" is not defined");
  }
  handles_.insert(next_handle_);
  response->set_store(next_handle_++);
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::Get(grpc::ServerContext* context,
                               const kv::v1::GetRequest* request,
                               kv::v1::GetResponse* response) {
  if (grpc::Status s = TakeFailure(context, "Get"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  auto it = values_.find(request->key());
  if (it == values_.end()) {
    return KvError(context, grpc::StatusCode::NOT_FOUND,
                   kv::v1::ERROR_CODE_NO_SUCH_KEY,
                   "NO_SUCH_KEY: key \"" + request->key() +
                       "\" is not in store \"default\"");
  }
  response->set_value(it->second);
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::Set(grpc::ServerContext* context,
                               const kv::v1::SetRequest* request,
                               kv::v1::SetResponse* /*response*/) {
  {
    absl::MutexLock lock(&mu_);
    ++set_calls_;
  }
  if (grpc::Status s = TakeFailure(context, "Set"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  values_[request->key()] = request->value();
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::Delete(grpc::ServerContext* context,
                                  const kv::v1::DeleteRequest* request,
                                  kv::v1::DeleteResponse* /*response*/) {
  if (grpc::Status s = TakeFailure(context, "Delete"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  values_.erase(request->key());
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::Exists(grpc::ServerContext* context,
                                  const kv::v1::ExistsRequest* request,
                                  kv::v1::ExistsResponse* response) {
  if (grpc::Status s = TakeFailure(context, "Exists"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  response->set_exists(values_.count(request->key()) != 0);
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::GetKeys(grpc::ServerContext* context,
                                   const kv::v1::GetKeysRequest* request,
                                   kv::v1::GetKeysResponse* response) {
  if (grpc::Status s = TakeFailure(context, "GetKeys"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  for (const auto& [key, value] : values_) response->add_keys(key);
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::Close(grpc::ServerContext* context,
                                 const kv::v1::CloseRequest* request,
                                 kv::v1::CloseResponse* /*response*/) {
  if (grpc::Status s = TakeFailure(context, "Close"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  ++close_calls_;
  close_received_.SignalAll();
  while (hold_closes_) closes_released_.Wait(&mu_);
  handles_.erase(request->store());
  return grpc::Status::OK;
}

void FakeKeyValue::HoldCloses(bool hold) {
  absl::MutexLock lock(&mu_);
  hold_closes_ = hold;
  closes_released_.SignalAll();
}

bool FakeKeyValue::WaitForCloseCalls(int n, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&mu_);
  while (close_calls_ < n) {
    if (close_received_.WaitWithDeadline(&mu_, deadline)) {
      return close_calls_ >= n;
    }
  }
  return true;
}

FakeKeyValueServer::FakeKeyValueServer() {
  grpc::ServerBuilder builder;
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
}

FakeKeyValueServer::~FakeKeyValueServer() { server_->Shutdown(); }

std::shared_ptr<grpc::Channel> FakeKeyValueServer::channel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

}  // namespace kvd
