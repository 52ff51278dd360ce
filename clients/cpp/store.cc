#include "clients/cpp/store.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "clients/cpp/call.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace kvd {
namespace {

using internal::Invoke;

constexpr char kDefaultAddress[] = "127.0.0.1:50051";

// The longest a destructor's background Close may stay in flight.
constexpr absl::Duration kReleaseTimeout = absl::Seconds(2);

std::shared_ptr<grpc::ChannelCredentials> CredentialsFor(
    const Options& options) {
  if (!options.use_tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_root_certs_pem;
  ssl.pem_cert_chain = options.tls_client_cert_pem;
  ssl.pem_private_key = options.tls_client_key_pem;
  return grpc::SslCredentials(ssl);
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
  return OpenOver(name, NewChannel(options), options, ResolveAddress(options));
}

absl::StatusOr<Store> Store::Open(
    absl::string_view name, std::shared_ptr<grpc::ChannelInterface> channel,
    const Options& options) {
  // The caller made the channel and knows where it goes: its errors are
  // left as gRPC reports them (kvctl reports them its own way).
  return OpenOver(name, std::move(channel), options, "");
}

absl::StatusOr<Store> Store::OpenDefault(const Options& options) {
  return Open("default", options);
}

void Store::OpenAsync(absl::string_view name, const Options& options,
                      Callback<Store> done) {
  OpenOverAsync(name, NewChannel(options), options, ResolveAddress(options),
                std::move(done));
}

void Store::OpenAsync(absl::string_view name,
                      std::shared_ptr<grpc::ChannelInterface> channel,
                      const Options& options, Callback<Store> done) {
  OpenOverAsync(name, std::move(channel), options, "", std::move(done));
}

absl::StatusOr<Store> Store::OpenOver(
    absl::string_view name, std::shared_ptr<grpc::ChannelInterface> channel,
    const Options& options, std::string address) {
  std::shared_ptr<kv::v1::KeyValue::Stub> stub =
      internal::NewStub(std::move(channel));
  kv::v1::OpenRequest request;
  request.set_name(std::string(name));
  kv::v1::OpenResponse response;
  absl::Status status = Invoke(options, CallOptions{}, address,
                               [&](grpc::ClientContext* context) {
                                 return stub->Open(context, request, &response);
                               });
  if (!status.ok()) return status;
  return Store(std::move(stub), options, std::move(address), std::string(name),
               response.store());
}

Store::Store(std::shared_ptr<kv::v1::KeyValue::Stub> stub, Options options,
             std::string address, std::string name, uint32_t handle)
    : stub_(std::move(stub)),
      options_(std::move(options)),
      address_(std::move(address)),
      name_(std::move(name)),
      handle_(handle) {}

Store::Store(Store&& other) noexcept
    : stub_(std::move(other.stub_)),
      options_(std::move(other.options_)),
      address_(std::move(other.address_)),
      name_(std::move(other.name_)),
      handle_(other.handle_.exchange(0)) {}

Store& Store::operator=(Store&& other) noexcept {
  if (this != &other) {
    ReleaseInBackground();
    stub_ = std::move(other.stub_);
    options_ = std::move(other.options_);
    address_ = std::move(other.address_);
    name_ = std::move(other.name_);
    handle_.store(other.handle_.exchange(0));
  }
  return *this;
}

Store::~Store() { ReleaseInBackground(); }

void Store::ReleaseInBackground() {
  const uint32_t handle = handle_.exchange(0);
  if (stub_ == nullptr || handle == 0) return;
  kv::v1::CloseRequest request;
  request.set_store(handle);
  CallOptions call;
  call.timeout = std::min(options_.timeout, kReleaseTimeout);
  internal::InvokeAsync<kv::v1::CloseRequest, kv::v1::CloseResponse>(
      stub_, options_, call, address_, std::move(request),
      [](auto* async, auto* context, auto* request, auto* response,
         auto callback) {
        async->Close(context, request, response, std::move(callback));
      },
      [](const absl::Status&, kv::v1::CloseResponse&) {});
}

absl::StatusOr<std::string> Store::Get(absl::string_view key,
                                       const CallOptions& call) {
  kv::v1::GetRequest request;
  request.set_store(handle());
  request.set_key(std::string(key));
  kv::v1::GetResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->Get(context, request, &response);
      });
  if (!status.ok()) return status;
  return std::move(*response.mutable_value());
}

absl::Status Store::Set(absl::string_view key, absl::string_view value,
                        const CallOptions& call) {
  kv::v1::SetRequest request;
  request.set_store(handle());
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  kv::v1::SetResponse response;
  return Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
    return stub_->Set(context, request, &response);
  });
}

absl::Status Store::Delete(absl::string_view key, const CallOptions& call) {
  kv::v1::DeleteRequest request;
  request.set_store(handle());
  request.set_key(std::string(key));
  kv::v1::DeleteResponse response;
  return Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
    return stub_->Delete(context, request, &response);
  });
}

absl::StatusOr<bool> Store::Exists(absl::string_view key,
                                   const CallOptions& call) {
  kv::v1::ExistsRequest request;
  request.set_store(handle());
  request.set_key(std::string(key));
  kv::v1::ExistsResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->Exists(context, request, &response);
      });
  if (!status.ok()) return status;
  return response.exists();
}

absl::StatusOr<std::vector<std::string>> Store::GetKeys(
    const CallOptions& call) {
  kv::v1::GetKeysRequest request;
  request.set_store(handle());
  kv::v1::GetKeysResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->GetKeys(context, request, &response);
      });
  if (!status.ok()) return status;
  return std::vector<std::string>(response.keys().begin(),
                                  response.keys().end());
}

absl::Status Store::Close(const CallOptions& call) {
  // Checked before the handle is taken, so a bad timeout leaves it open.
  if (absl::StatusOr<absl::Duration> timeout =
          internal::CallTimeout(options_, call);
      !timeout.ok()) {
    return timeout.status();
  }
  const uint32_t handle = handle_.exchange(0);
  if (stub_ == nullptr || handle == 0) return absl::OkStatus();
  kv::v1::CloseRequest request;
  request.set_store(handle);
  kv::v1::CloseResponse response;
  return Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
    return stub_->Close(context, request, &response);
  });
}

}  // namespace kvd
