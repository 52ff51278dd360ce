#include "service/kv_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "service/grpc_status.h"
#include "service/kv_error.h"
#include "service/request_decoder.h"
#include "service/request_validation.h"
#include "store/registry.h"
#include "store/status_macros.h"

namespace kv {
namespace {

// What the caller presented: its "authorization" metadata and, if the TLS
// handshake verified a client certificate, that certificate's SANs and CN.
CallerCredentials CredentialsOf(const grpc::CallbackServerContext& context) {
  CallerCredentials caller;
  const auto& metadata = context.client_metadata();
  auto authorization = metadata.find("authorization");
  if (authorization != metadata.end()) {
    caller.authorization =
        std::string(authorization->second.data(), authorization->second.size());
  }
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    for (const char* property :
         {GRPC_X509_SAN_PROPERTY_NAME, GRPC_X509_CN_PROPERTY_NAME}) {
      for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
        caller.certificate_identities.emplace_back(value.data(), value.size());
      }
    }
  }
  return caller;
}

}  // namespace

absl::StatusOr<std::string> KeyValueService::PrincipalOf(
    const grpc::CallbackServerContext& context) const {
  if (authorizer_->anonymous()) return std::string();
  return authorizer_->Authenticate(CredentialsOf(context));
}

KeyValueService::KeyValueService(StoreCatalog* catalog, const Limits& limits,
                                 int threads_per_store,
                                 StoreHealth::Publisher publish_health,
                                 const Authorizer* authorizer)
    : catalog_(catalog),
      limits_(limits),
      authorizer_(authorizer != nullptr ? authorizer : &anonymous_),
      handles_(limits.max_open_stores, limits.idle_timeout),
      health_(catalog->Names(), std::move(publish_health)),
      control_executor_(2) {
  for (const StoreCatalog::StoreState& state : catalog->Describe()) {
    executors_[state.name] = std::make_unique<Executor>(threads_per_store);
    const DriverType* type = FindDriverType(state.type);
    if (type != nullptr && type->write_threads > 0) {
      write_executors_[state.name] =
          std::make_unique<Executor>(type->write_threads);
    }
  }
  for (const StoreCatalog::StoreState& state : catalog->Describe()) {
    if (!state.status.ok()) {
      Observe(state.name,
              BackendError(state.name, "open",
                           absl::UnavailableError(state.status.message())));
    }
  }
}

absl::Status KeyValueService::Observe(const std::string& store,
                                      absl::Status outcome) {
  health_.Report(store, outcome);
  return outcome;
}

Executor& KeyValueService::ExecutorFor(const std::string& /*principal*/,
                                       const v1::OpenRequest& request) {
  auto it = executors_.find(request.name());
  return it == executors_.end() ? control_executor_ : *it->second;
}

Executor& KeyValueService::ExecutorFor(const std::string& /*principal*/,
                                       const v1::CloseRequest& /*request*/) {
  return control_executor_;
}

template <typename Request>
Executor& KeyValueService::ExecutorFor(const std::string& principal,
                                       const Request& request) {
  absl::StatusOr<std::string> store =
      handles_.Lookup(principal, request.store());
  if (!store.ok()) return control_executor_;
  auto it = executors_.find(*store);
  return it == executors_.end() ? control_executor_ : *it->second;
}

Executor& KeyValueService::WriteExecutorFor(const std::string& principal,
                                            uint32_t handle) {
  absl::StatusOr<std::string> store = handles_.Lookup(principal, handle);
  if (!store.ok()) return control_executor_;
  auto writes = write_executors_.find(*store);
  if (writes != write_executors_.end()) return *writes->second;
  auto it = executors_.find(*store);
  return it == executors_.end() ? control_executor_ : *it->second;
}

Executor& KeyValueService::ExecutorFor(const std::string& principal,
                                       const v1::SetRequest& request) {
  return WriteExecutorFor(principal, request.store());
}

Executor& KeyValueService::ExecutorFor(const std::string& principal,
                                       const v1::DeleteRequest& request) {
  return WriteExecutorFor(principal, request.store());
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* KeyValueService::Serve(
    grpc::CallbackServerContext* context, const Raw* raw_request,
    Raw* raw_response,
    absl::StatusOr<Response> (KeyValueService::*operation)(const std::string&,
                                                           const Request&)) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!calls_.Begin()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "kvd is shutting down; retry elsewhere"));
    return reactor;
  }
  // An unidentified caller learns nothing, not even how its request decodes,
  // and costs no worker.
  absl::StatusOr<std::string> principal = PrincipalOf(*context);
  if (!principal.ok()) {
    reactor->Finish(ToGrpcStatus(principal.status()));
    calls_.End();
    return reactor;
  }
  auto request = std::make_shared<Request>();
  absl::Status decoded = DecodeRequest(*raw_request, *request);
  if (!decoded.ok()) {
    AddErrorCodeTrailer(decoded, *context);
    reactor->Finish(ToGrpcStatus(decoded));
    calls_.End();
    return reactor;
  }
  Executor& executor = ExecutorFor(*principal, *request);
  executor.Schedule([this, context, reactor, request, raw_response, operation,
                     principal = *std::move(principal)] {
    absl::Status status;
    if (context->IsCancelled()) {
      status = absl::CancelledError("the call was cancelled before it ran");
    } else {
      absl::StatusOr<Response> response =
          (this->*operation)(principal, *request);
      status = response.ok() ? EncodeResponse(*response, *raw_response)
                             : response.status();
    }
    AddErrorCodeTrailer(status, *context);
    reactor->Finish(ToGrpcStatus(status));
    calls_.End();
  });
  return reactor;
}

absl::Status KeyValueService::RetryOpen(const std::string& store) {
  return Observe(store, catalog_->Find(store).status());
}

bool KeyValueService::Drain(absl::Time deadline) {
  calls_.StartDraining();
  return calls_.WaitUntilIdle(deadline);
}

grpc::ServerUnaryReactor* KeyValueService::Open(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, &KeyValueService::DoOpen);
}
grpc::ServerUnaryReactor* KeyValueService::Get(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, &KeyValueService::DoGet);
}
grpc::ServerUnaryReactor* KeyValueService::Set(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, &KeyValueService::DoSet);
}
grpc::ServerUnaryReactor* KeyValueService::Delete(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, &KeyValueService::DoDelete);
}
grpc::ServerUnaryReactor* KeyValueService::Exists(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, &KeyValueService::DoExists);
}
grpc::ServerUnaryReactor* KeyValueService::GetKeys(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, &KeyValueService::DoGetKeys);
}
grpc::ServerUnaryReactor* KeyValueService::Close(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, &KeyValueService::DoClose);
}

absl::StatusOr<KeyValueService::OpenStore> KeyValueService::Resolve(
    const std::string& principal, uint32_t handle) {
  KV_ASSIGN_OR_RETURN(HandleTable::OpenHandle open,
                      handles_.LookupHandle(principal, handle));
  absl::StatusOr<Driver*> driver = catalog_->Find(open.store);
  if (!driver.ok()) return Observe(open.store, driver.status());
  return OpenStore{std::move(open.store), *driver, open.read_only};
}

absl::StatusOr<v1::OpenResponse> KeyValueService::DoOpen(
    const std::string& principal, const v1::OpenRequest& request) {
  // Access is checked before existence, so a caller learns nothing about
  // stores it is not granted.
  KV_ASSIGN_OR_RETURN(StoreAccess access,
                      authorizer_->Authorize(principal, request.name()));
  if (!catalog_->Contains(request.name())) {
    return NoSuchStoreError(request.name());
  }
  // Opening an unhealthy store fails now rather than on its first use.
  KV_RETURN_IF_ERROR(
      Observe(request.name(), catalog_->Find(request.name()).status()));
  KV_ASSIGN_OR_RETURN(uint32_t handle,
                      handles_.Open(principal, request.name(),
                                    access == StoreAccess::kReadOnly));
  v1::OpenResponse response;
  response.set_store(handle);
  return response;
}

absl::StatusOr<v1::GetResponse> KeyValueService::DoGet(
    const std::string& principal, const v1::GetRequest& request) {
  KV_ASSIGN_OR_RETURN(OpenStore store, Resolve(principal, request.store()));
  KV_RETURN_IF_ERROR(ValidateKey(request.key(), limits_.max_key_bytes));
  absl::StatusOr<std::string> value = store.driver->Get(request.key());
  if (absl::IsNotFound(value.status())) {
    return Observe(store.name, NoSuchKeyError(store.name, request.key()));
  }
  if (!value.ok()) {
    return Observe(
        store.name,
        BackendError(store.name, absl::StrCat("get key ", Quote(request.key())),
                     value.status()));
  }
  Observe(store.name, absl::OkStatus());
  v1::GetResponse response;
  *response.mutable_value() = *std::move(value);
  return response;
}

absl::StatusOr<v1::SetResponse> KeyValueService::DoSet(
    const std::string& principal, const v1::SetRequest& request) {
  KV_ASSIGN_OR_RETURN(OpenStore store, Resolve(principal, request.store()));
  if (store.read_only) {
    return ReadOnlyStoreError(store.name,
                              absl::StrCat("set key ", Quote(request.key())));
  }
  KV_RETURN_IF_ERROR(ValidateKey(request.key(), limits_.max_key_bytes));
  KV_RETURN_IF_ERROR(ValidateValue(request.key(), request.value().size(),
                                   limits_.max_value_bytes));
  absl::Status status = store.driver->Set(request.key(), request.value());
  if (!status.ok()) {
    status = BackendError(
        store.name, absl::StrCat("set key ", Quote(request.key())), status);
  }
  KV_RETURN_IF_ERROR(Observe(store.name, status));
  return v1::SetResponse();
}

absl::StatusOr<v1::DeleteResponse> KeyValueService::DoDelete(
    const std::string& principal, const v1::DeleteRequest& request) {
  KV_ASSIGN_OR_RETURN(OpenStore store, Resolve(principal, request.store()));
  if (store.read_only) {
    return ReadOnlyStoreError(
        store.name, absl::StrCat("delete key ", Quote(request.key())));
  }
  KV_RETURN_IF_ERROR(ValidateKey(request.key(), limits_.max_key_bytes));
  absl::Status status = store.driver->Delete(request.key());
  if (!status.ok()) {
    status = BackendError(
        store.name, absl::StrCat("delete key ", Quote(request.key())), status);
  }
  KV_RETURN_IF_ERROR(Observe(store.name, status));
  return v1::DeleteResponse();
}

absl::StatusOr<v1::ExistsResponse> KeyValueService::DoExists(
    const std::string& principal, const v1::ExistsRequest& request) {
  KV_ASSIGN_OR_RETURN(OpenStore store, Resolve(principal, request.store()));
  KV_RETURN_IF_ERROR(ValidateKey(request.key(), limits_.max_key_bytes));
  absl::StatusOr<bool> exists = store.driver->Exists(request.key());
  if (!exists.ok()) {
    return Observe(store.name, BackendError(store.name,
                                            absl::StrCat("check key ",
                                                         Quote(request.key())),
                                            exists.status()));
  }
  Observe(store.name, absl::OkStatus());
  v1::ExistsResponse response;
  response.set_exists(*exists);
  return response;
}

absl::StatusOr<v1::GetKeysResponse> KeyValueService::DoGetKeys(
    const std::string& principal, const v1::GetKeysRequest& request) {
  KV_ASSIGN_OR_RETURN(OpenStore store, Resolve(principal, request.store()));
  v1::GetKeysResponse response;
  // Each key costs its bytes plus a tag and a length prefix on the wire.
  constexpr size_t kPerKeyFraming = 1 + 5;
  size_t response_bytes = 0;
  bool too_large = false;
  absl::Status status = store.driver->ListKeys([&](absl::string_view key) {
    response_bytes += key.size() + kPerKeyFraming;
    if (response_bytes > limits_.max_get_keys_bytes) {
      too_large = true;
      return false;
    }
    response.add_keys(std::string(key));
    return true;
  });
  if (!status.ok()) {
    return Observe(store.name, BackendError(store.name, "list keys", status));
  }
  Observe(store.name, absl::OkStatus());
  if (too_large) {
    return MakeKvError(
        v1::ERROR_CODE_IO, absl::StatusCode::kResourceExhausted,
        absl::StrCat("store ", Quote(store.name), " has more keys than fit in ",
                     "one GetKeys response (", response.keys_size(),
                     " keys listed before reaching the ",
                     limits_.max_get_keys_bytes,
                     "-byte limit); raise limits.max_get_keys_bytes and the "
                     "client's maximum receive message size, or split the "
                     "data across stores"));
  }
  return response;
}

absl::StatusOr<v1::CloseResponse> KeyValueService::DoClose(
    const std::string& principal, const v1::CloseRequest& request) {
  handles_.Close(principal, request.store());
  return v1::CloseResponse();
}

}  // namespace kv
