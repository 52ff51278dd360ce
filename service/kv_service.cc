#include "service/kv_service.h"

#include <memory>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "service/grpc_status.h"
#include "service/errors/kv_error.h"
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

// Sizes for the call observer, which never sees key or value bytes.
size_t KeyBytesOf(const v1::OpenRequest& request) {
  return request.name().size();
}
template <typename Request>
auto KeyBytesOf(const Request& request) -> decltype(request.key().size()) {
  return request.key().size();
}
size_t KeyBytesOf(const google::protobuf::Message& /*request*/) { return 0; }

size_t ValueBytesOf(const v1::SetRequest& request) {
  return request.value().size();
}
size_t ValueBytesOf(const google::protobuf::Message& /*request*/) { return 0; }

// Per-request parts of a write, so Set and Delete share one path.
std::string WriteDescription(const v1::SetRequest& request) {
  return absl::StrCat("set key ", Quote(request.key()));
}
std::string WriteDescription(const v1::DeleteRequest& request) {
  return absl::StrCat("delete key ", Quote(request.key()));
}

absl::Status ValidateWrittenValue(const v1::SetRequest& request,
                                  const Limits& limits) {
  return ValidateValue(request.key(), request.value().size(),
                       limits.max_value_bytes);
}
absl::Status ValidateWrittenValue(const v1::DeleteRequest& /*request*/,
                                  const Limits& /*limits*/) {
  return absl::OkStatus();
}

absl::Status WriteNow(Driver& driver, const v1::SetRequest& request) {
  return driver.Set(request.key(), request.value());
}
absl::Status WriteNow(Driver& driver, const v1::DeleteRequest& request) {
  return driver.Delete(request.key());
}

void WriteLater(Driver& driver, const v1::SetRequest& request,
                Driver::WriteDone done) {
  driver.SetAsync(request.key(), request.value(), std::move(done));
}
void WriteLater(Driver& driver, const v1::DeleteRequest& request,
                Driver::WriteDone done) {
  driver.DeleteAsync(request.key(), std::move(done));
}

NullCallObserver* NoObserver() {
  static NullCallObserver* const observer = new NullCallObserver();
  return observer;
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
                                 const Authorizer* authorizer,
                                 CallObserver* observer)
    : catalog_(catalog),
      limits_(limits),
      authorizer_(authorizer != nullptr ? authorizer : &anonymous_),
      observer_(observer != nullptr ? observer : NoObserver()),
      handles_(limits.max_open_stores, limits.idle_timeout),
      health_(catalog->Names(), std::move(publish_health)),
      control_executor_(2) {
  for (const StoreCatalog::StoreState& state : catalog->Describe()) {
    executors_[state.name] = std::make_unique<Executor>(threads_per_store);
    const DriverType* type = FindDriverType(state.type);
    if (type != nullptr && type->fast_reads) {
      fast_read_stores_.insert(state.name);
    }
    if (type != nullptr && type->nonblocking_writes) {
      nonblocking_write_stores_.insert(state.name);
    }
  }
  for (const StoreCatalog::StoreState& state : catalog->Describe()) {
    if (!state.status.ok()) {
      Observe(state.name,
              BackendError(state.name, "open",
                           absl::UnavailableError(state.status.message())))
          .IgnoreError();
    }
  }
}

KeyValueService::~KeyValueService() {
  calls_->WaitUntilIdle(absl::InfiniteFuture());
}

absl::Status KeyValueService::Observe(const std::string& store,
                                      absl::Status outcome) {
  health_.Report(store, outcome);
  return outcome;
}

std::string KeyValueService::StoreOf(const std::string& /*principal*/,
                                     const v1::OpenRequest& request) {
  return catalog_->Contains(request.name()) ? request.name() : "";
}

template <typename Request>
std::string KeyValueService::StoreOf(const std::string& principal,
                                     const Request& request) {
  absl::StatusOr<std::string> store =
      handles_.Lookup(principal, request.store());
  return store.ok() ? *std::move(store) : "";
}

Executor& KeyValueService::ExecutorFor(const std::string& store) {
  auto it = executors_.find(store);
  return it == executors_.end() ? control_executor_ : *it->second;
}

void KeyValueService::Finish(grpc::CallbackServerContext* context,
                             grpc::ServerUnaryReactor* reactor,
                             const absl::Status& status, absl::Time started,
                             CallRecord& call) {
  AddErrorCodeTrailer(status, *context);
  const grpc::Status grpc_status = ToGrpcStatus(status);
  call.code = static_cast<absl::StatusCode>(grpc_status.error_code());
  call.error_code = ErrorCodeOf(status);
  call.duration = absl::Now() - started;
  // Before the caller sees the result, so whatever it reads next (a metrics
  // scrape, the log) already counts this call.
  observer_->OnCallFinished(call);
  reactor->Finish(grpc_status);
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* KeyValueService::Serve(
    const char* method, grpc::CallbackServerContext* context,
    const Raw* raw_request, Raw* raw_response,
    absl::StatusOr<Response> (KeyValueService::*operation)(const std::string&,
                                                           const Request&)) {
  const absl::Time started = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto call = std::make_shared<CallRecord>();
  call->method = method;
  if (!calls_->Begin()) {
    Finish(context, reactor,
           absl::UnavailableError("kvd is shutting down; retry elsewhere"),
           started, *call);
    return reactor;
  }
  // An unidentified caller learns nothing, not even how its request decodes,
  // and costs no worker.
  absl::StatusOr<std::string> principal = PrincipalOf(*context);
  if (!principal.ok()) {
    Finish(context, reactor, principal.status(), started, *call);
    calls_->End();
    return reactor;
  }
  call->principal = *std::move(principal);
  auto request = std::make_shared<Request>();
  absl::Status decoded = DecodeRequest(*raw_request, *request);
  if (!decoded.ok()) {
    Finish(context, reactor, decoded, started, *call);
    calls_->End();
    return reactor;
  }
  call->store = StoreOf(call->principal, *request);
  call->key_bytes = KeyBytesOf(*request);
  call->value_bytes = ValueBytesOf(*request);
  auto run = [this, context, reactor, request, raw_response, operation, started,
              call] {
    absl::Status status;
    if (context->IsCancelled()) {
      status = absl::CancelledError("the call was cancelled before it ran");
    } else {
      absl::StatusOr<Response> response =
          (this->*operation)(call->principal, *request);
      status = response.ok() ? EncodeResponse(*response, *raw_response)
                             : response.status();
    }
    Finish(context, reactor, status, started, *call);
    calls_->End();
  };
  constexpr bool kRead = std::is_same_v<Request, v1::GetRequest> ||
                         std::is_same_v<Request, v1::ExistsRequest>;
  if (kRead && fast_read_stores_.contains(call->store)) {
    run();
    return reactor;
  }
  if constexpr (std::is_same_v<Request, v1::SetRequest> ||
                std::is_same_v<Request, v1::DeleteRequest>) {
    if (nonblocking_write_stores_.contains(call->store)) {
      // The tracker is captured, not reached through `this`: End() is the
      // last thing the callback does, and the service may be destroyed as
      // soon as the last call has ended.
      StartWrite<Request>(call->principal, request,
                          [this, calls = calls_, context, reactor, raw_response,
                           started, call](absl::Status status) {
                            if (status.ok()) {
                              status =
                                  EncodeResponse(Response(), *raw_response);
                            }
                            Finish(context, reactor, status, started, *call);
                            calls->End();
                          });
      return reactor;
    }
  }
  // Close reaches no backend, so it never waits behind a slow store.
  Executor& executor = std::is_same_v<Request, v1::CloseRequest>
                           ? control_executor_
                           : ExecutorFor(call->store);
  executor.Schedule(std::move(run));
  return reactor;
}

absl::Status KeyValueService::RetryOpen(const std::string& store) {
  return Observe(store, catalog_->Find(store).status());
}

bool KeyValueService::Drain(absl::Time deadline) {
  calls_->StartDraining();
  return calls_->WaitUntilIdle(deadline);
}

grpc::ServerUnaryReactor* KeyValueService::Open(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve("Open", context, request, response, &KeyValueService::DoOpen);
}
grpc::ServerUnaryReactor* KeyValueService::Get(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve("Get", context, request, response, &KeyValueService::DoGet);
}
grpc::ServerUnaryReactor* KeyValueService::Set(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve("Set", context, request, response, &KeyValueService::DoSet);
}
grpc::ServerUnaryReactor* KeyValueService::Delete(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve("Delete", context, request, response,
               &KeyValueService::DoDelete);
}
grpc::ServerUnaryReactor* KeyValueService::Exists(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve("Exists", context, request, response,
               &KeyValueService::DoExists);
}
grpc::ServerUnaryReactor* KeyValueService::GetKeys(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve("GetKeys", context, request, response,
               &KeyValueService::DoGetKeys);
}
grpc::ServerUnaryReactor* KeyValueService::Close(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve("Close", context, request, response, &KeyValueService::DoClose);
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
  Observe(store.name, absl::OkStatus()).IgnoreError();
  v1::GetResponse response;
  *response.mutable_value() = *std::move(value);
  return response;
}

template <typename WriteRequest>
absl::StatusOr<KeyValueService::OpenStore> KeyValueService::CheckWrite(
    const std::string& principal, const WriteRequest& request) {
  KV_ASSIGN_OR_RETURN(OpenStore store, Resolve(principal, request.store()));
  if (store.read_only) {
    return ReadOnlyStoreError(store.name, WriteDescription(request));
  }
  KV_RETURN_IF_ERROR(ValidateKey(request.key(), limits_.max_key_bytes));
  KV_RETURN_IF_ERROR(ValidateWrittenValue(request, limits_));
  return store;
}

template <typename WriteRequest>
absl::Status KeyValueService::WriteOutcome(const OpenStore& store,
                                           const WriteRequest& request,
                                           absl::Status outcome) {
  if (!outcome.ok()) {
    outcome = BackendError(store.name, WriteDescription(request), outcome);
  }
  return Observe(store.name, std::move(outcome));
}

template <typename WriteRequest>
void KeyValueService::StartWrite(const std::string& principal,
                                 std::shared_ptr<const WriteRequest> request,
                                 Driver::WriteDone done) {
  absl::StatusOr<OpenStore> store = CheckWrite(principal, *request);
  if (!store.ok()) {
    done(store.status());
    return;
  }
  Driver& driver = *store->driver;
  const WriteRequest& write = *request;
  WriteLater(driver, write,
             [this, store = *std::move(store), request = std::move(request),
              done = std::move(done)](absl::Status outcome) mutable {
               done(WriteOutcome(store, *request, std::move(outcome)));
             });
}

absl::StatusOr<v1::SetResponse> KeyValueService::DoSet(
    const std::string& principal, const v1::SetRequest& request) {
  KV_ASSIGN_OR_RETURN(OpenStore store, CheckWrite(principal, request));
  KV_RETURN_IF_ERROR(
      WriteOutcome(store, request, WriteNow(*store.driver, request)));
  return v1::SetResponse();
}

absl::StatusOr<v1::DeleteResponse> KeyValueService::DoDelete(
    const std::string& principal, const v1::DeleteRequest& request) {
  KV_ASSIGN_OR_RETURN(OpenStore store, CheckWrite(principal, request));
  KV_RETURN_IF_ERROR(
      WriteOutcome(store, request, WriteNow(*store.driver, request)));
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
  Observe(store.name, absl::OkStatus()).IgnoreError();
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
  Observe(store.name, absl::OkStatus()).IgnoreError();
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
