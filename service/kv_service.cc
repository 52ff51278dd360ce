#include "service/kv_service.h"

#include <memory>
#include <utility>

#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "service/batch_operations.h"
#include "service/counter_operations.h"
#include "service/describe_operations.h"
#include "service/errors/kv_error.h"
#include "service/grpc_status.h"
#include "service/list_operations.h"
#include "service/read_operations.h"
#include "service/request_decoder.h"
#include "service/session_operations.h"
#include "service/write_operations.h"
#include "store/registry.h"

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
size_t ValueBytesOf(const v1::SetManyRequest& request) {
  size_t bytes = 0;
  for (const v1::SetEntry& entry : request.entries()) {
    bytes += entry.value().size();
  }
  return bytes;
}
size_t ValueBytesOf(const google::protobuf::Message& /*request*/) { return 0; }

NullCallObserver* NoObserver() {
  static NullCallObserver* const observer = new NullCallObserver();
  return observer;
}

}  // namespace

KeyValueService::KeyValueService(StoreCatalog* catalog, const Limits& limits,
                                 int threads_per_store,
                                 StoreHealth::Publisher publish_health,
                                 const Authorizer* authorizer,
                                 CallObserver* observer)
    : context_(catalog, limits, authorizer, std::move(publish_health)),
      observer_(observer != nullptr ? observer : NoObserver()),
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
      context_
          .Observe(state.name,
                   BackendError(state.name, "open",
                                absl::UnavailableError(state.status.message())))
          .IgnoreError();
    }
  }
}

KeyValueService::~KeyValueService() {
  calls_->WaitUntilIdle(absl::InfiniteFuture());
}

// --- The RPCs: one line each, naming the Operation that serves it.

grpc::ServerUnaryReactor* KeyValueService::Open(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kOpen);
}
grpc::ServerUnaryReactor* KeyValueService::Close(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kClose);
}
grpc::ServerUnaryReactor* KeyValueService::Get(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kGet);
}
grpc::ServerUnaryReactor* KeyValueService::Exists(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kExists);
}
grpc::ServerUnaryReactor* KeyValueService::Set(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kSet);
}
grpc::ServerUnaryReactor* KeyValueService::Delete(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kDelete);
}
grpc::ServerUnaryReactor* KeyValueService::GetKeys(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kGetKeys);
}

grpc::ServerUnaryReactor* KeyValueService::Increment(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kIncrement);
}
grpc::ServerUnaryReactor* KeyValueService::GetMany(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kGetMany);
}
grpc::ServerUnaryReactor* KeyValueService::SetMany(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kSetMany);
}
grpc::ServerUnaryReactor* KeyValueService::DeleteMany(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kDeleteMany);
}
grpc::ServerUnaryReactor* KeyValueService::Describe(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kDescribe);
}
grpc::ServerUnaryReactor* KeyValueService::ListKeys(
    grpc::CallbackServerContext* context, const Raw* request, Raw* response) {
  return Serve(context, request, response, operations::kListKeys);
}

// --- The dispatcher.

absl::StatusOr<std::string> KeyValueService::PrincipalOf(
    const grpc::CallbackServerContext& context) const {
  const Authorizer& authorizer = context_.authorizer();
  if (authorizer.anonymous()) return std::string();
  return authorizer.Authenticate(CredentialsOf(context));
}

std::string KeyValueService::StoreOf(const std::string& /*principal*/,
                                     const v1::OpenRequest& request) {
  return context_.catalog().Contains(request.name()) ? request.name() : "";
}

template <typename Request>
std::string KeyValueService::StoreOf(const std::string& principal,
                                     const Request& request) {
  absl::StatusOr<std::string> store =
      context_.handles().Lookup(principal, request.store());
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
    grpc::CallbackServerContext* context, const Raw* raw_request,
    Raw* raw_response, const Operation<Request, Response>& operation) {
  const absl::Time started = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto call = std::make_shared<CallRecord>();
  call->method = operation.method;
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

  // Ends the call with the operation's outcome. The tracker is captured, not
  // reached through `this`: End() is the last thing it does, and the service
  // may be destroyed as soon as the last call has ended.
  auto finish = [this, calls = calls_, context, reactor, raw_response, started,
                 call](absl::StatusOr<Response> response) {
    const absl::Status status = response.ok()
                                    ? EncodeResponse(*response, *raw_response)
                                    : response.status();
    Finish(context, reactor, status, started, *call);
    calls->End();
  };
  auto run = [this, context, request, operation, finish, call]() mutable {
    if (context->IsCancelled()) {
      finish(absl::CancelledError("the call was cancelled before it ran"));
      return;
    }
    finish(operation.run(context_, call->principal, *request));
  };

  switch (operation.scheduling) {
    case Scheduling::kFastRead:
      if (fast_read_stores_.contains(call->store)) {
        run();
        return reactor;
      }
      break;
    case Scheduling::kNonblockingWrite:
      if (operation.start != nullptr &&
          nonblocking_write_stores_.contains(call->store)) {
        operation.start(context_, call->principal, std::move(request),
                        std::move(finish));
        return reactor;
      }
      break;
    case Scheduling::kControl:
      control_executor_.Schedule(std::move(run));
      return reactor;
    case Scheduling::kStoreWorker:
    default:
      break;
  }
  ExecutorFor(call->store).Schedule(std::move(run));
  return reactor;
}

absl::Status KeyValueService::RetryOpen(const std::string& store) {
  return context_.Observe(store, context_.catalog().Find(store).status());
}

bool KeyValueService::Drain(absl::Time deadline) {
  calls_->StartDraining();
  return calls_->WaitUntilIdle(deadline);
}

}  // namespace kv
