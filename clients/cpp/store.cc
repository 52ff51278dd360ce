#include "clients/cpp/store.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace kvd {
namespace {

constexpr char kDefaultAddress[] = "127.0.0.1:50051";

std::shared_ptr<grpc::ChannelCredentials> CredentialsFor(
    const Options& options) {
  if (!options.use_tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_root_certs_pem;
  ssl.pem_cert_chain = options.tls_client_cert_pem;
  ssl.pem_private_key = options.tls_client_key_pem;
  return grpc::SslCredentials(ssl);
}

// Runs one call with the options' deadline and token, and turns its outcome
// into an absl::Status carrying kvd's ErrorCode.
template <typename Call>
absl::Status Invoke(const Options& options, Call call) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options.timeout));
  if (!options.token.empty()) {
    context.AddMetadata("authorization", "Bearer " + options.token);
  }
  const grpc::Status status = call(&context);
  return ToAbslStatus(status, context);
}

}  // namespace

std::string ResolveAddress(const Options& options) {
  if (!options.address.empty()) return options.address;
  const char* env = std::getenv("KVD_ADDR");
  return env != nullptr && *env != '\0' ? env : kDefaultAddress;
}

std::shared_ptr<grpc::Channel> NewChannel(const Options& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  args.SetMaxSendMessageSize(-1);
  return grpc::CreateCustomChannel(ResolveAddress(options),
                                   CredentialsFor(options), args);
}

absl::StatusOr<Store> Store::Open(absl::string_view name,
                                  const Options& options) {
  return Open(name, NewChannel(options), options);
}

absl::StatusOr<Store> Store::Open(
    absl::string_view name, std::shared_ptr<grpc::ChannelInterface> channel,
    const Options& options) {
  std::shared_ptr<kv::v1::KeyValue::Stub> stub =
      kv::v1::KeyValue::NewStub(std::move(channel));
  kv::v1::OpenRequest request;
  request.set_name(std::string(name));
  kv::v1::OpenResponse response;
  absl::Status status = Invoke(options, [&](grpc::ClientContext* context) {
    return stub->Open(context, request, &response);
  });
  if (!status.ok()) return status;
  return Store(std::move(stub), options, std::string(name), response.store());
}

absl::StatusOr<Store> Store::OpenDefault(const Options& options) {
  return Open("default", options);
}

Store::Store(std::shared_ptr<kv::v1::KeyValue::Stub> stub, Options options,
             std::string name, uint32_t handle)
    : stub_(std::move(stub)),
      options_(std::move(options)),
      name_(std::move(name)),
      handle_(handle) {}

Store::Store(Store&& other) noexcept
    : stub_(std::move(other.stub_)),
      options_(std::move(other.options_)),
      name_(std::move(other.name_)),
      handle_(std::exchange(other.handle_, 0)) {}

Store& Store::operator=(Store&& other) noexcept {
  if (this != &other) {
    Close().IgnoreError();
    stub_ = std::move(other.stub_);
    options_ = std::move(other.options_);
    name_ = std::move(other.name_);
    handle_ = std::exchange(other.handle_, 0);
  }
  return *this;
}

Store::~Store() { Close().IgnoreError(); }

absl::StatusOr<std::string> Store::Get(absl::string_view key) {
  kv::v1::GetRequest request;
  request.set_store(handle_);
  request.set_key(std::string(key));
  kv::v1::GetResponse response;
  absl::Status status = Invoke(options_, [&](grpc::ClientContext* context) {
    return stub_->Get(context, request, &response);
  });
  if (!status.ok()) return status;
  return std::move(*response.mutable_value());
}

absl::Status Store::Set(absl::string_view key, absl::string_view value) {
  kv::v1::SetRequest request;
  request.set_store(handle_);
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  kv::v1::SetResponse response;
  return Invoke(options_, [&](grpc::ClientContext* context) {
    return stub_->Set(context, request, &response);
  });
}

absl::Status Store::Delete(absl::string_view key) {
  kv::v1::DeleteRequest request;
  request.set_store(handle_);
  request.set_key(std::string(key));
  kv::v1::DeleteResponse response;
  return Invoke(options_, [&](grpc::ClientContext* context) {
    return stub_->Delete(context, request, &response);
  });
}

absl::StatusOr<bool> Store::Exists(absl::string_view key) {
  kv::v1::ExistsRequest request;
  request.set_store(handle_);
  request.set_key(std::string(key));
  kv::v1::ExistsResponse response;
  absl::Status status = Invoke(options_, [&](grpc::ClientContext* context) {
    return stub_->Exists(context, request, &response);
  });
  if (!status.ok()) return status;
  return response.exists();
}

absl::StatusOr<std::vector<std::string>> Store::GetKeys() {
  kv::v1::GetKeysRequest request;
  request.set_store(handle_);
  kv::v1::GetKeysResponse response;
  absl::Status status = Invoke(options_, [&](grpc::ClientContext* context) {
    return stub_->GetKeys(context, request, &response);
  });
  if (!status.ok()) return status;
  return std::vector<std::string>(response.keys().begin(),
                                  response.keys().end());
}

absl::Status Store::Close() {
  if (stub_ == nullptr || handle_ == 0) return absl::OkStatus();
  kv::v1::CloseRequest request;
  request.set_store(handle_);
  kv::v1::CloseResponse response;
  handle_ = 0;
  return Invoke(options_, [&](grpc::ClientContext* context) {
    return stub_->Close(context, request, &response);
  });
}

}  // namespace kvd
