#include "clients/cpp/fake_key_value.h"

#include <limits>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

std::string Quoted(const std::string& key) { return "\"" + key + "\""; }

// INVALID_ARGUMENT (IO) if a key appears twice in a batch.
template <typename Keys, typename KeyOf>
grpc::Status CheckNoDuplicates(grpc::ServerContext* context, const Keys& keys,
                               KeyOf key_of) {
  std::set<std::string> seen;
  for (const auto& item : keys) {
    if (!seen.insert(key_of(item)).second) {
      return KvError(
          context, grpc::StatusCode::INVALID_ARGUMENT, kv::v1::ERROR_CODE_IO,
          "IO: key " + Quoted(key_of(item)) + " appears twice in the batch");
    }
  }
  return grpc::Status::OK;
}

// The int64 whose canonical decimal text `text` is; nullopt for anything
// else ("+1", "01", " 1", "-0").
std::optional<int64_t> ParseCanonicalInt64(const std::string& text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || absl::StrCat(value) != text) {
    return std::nullopt;
  }
  return value;
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

uint64_t FakeKeyValue::RevisionOf(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? 0 : it->second.revision;
}

grpc::Status FakeKeyValue::CheckCondition(grpc::ServerContext* context,
                                          const std::string& key,
                                          bool has_if_revision,
                                          uint64_t if_revision,
                                          std::optional<int> index) {
  if (!has_if_revision) return grpc::Status::OK;
  const uint64_t current = RevisionOf(key);
  if (current == if_revision) return grpc::Status::OK;
  context->AddTrailingMetadata(kCurrentRevisionTrailer,
                               std::to_string(current));
  if (index.has_value()) {
    context->AddTrailingMetadata(kFailedIndexTrailer, std::to_string(*index));
  }
  return KvError(context, grpc::StatusCode::ABORTED,
                 kv::v1::ERROR_CODE_CONDITION_FAILED,
                 absl::StrCat("CONDITION_FAILED: key ", Quoted(key),
                              " in store \"default\" is at revision ", current,
                              ", not ", if_revision));
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
  response->set_value(it->second.value);
  response->set_revision(it->second.revision);
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::Set(grpc::ServerContext* context,
                               const kv::v1::SetRequest* request,
                               kv::v1::SetResponse* response) {
  {
    absl::MutexLock lock(&mu_);
    ++set_calls_;
  }
  if (grpc::Status s = TakeFailure(context, "Set"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  if (grpc::Status s =
          CheckCondition(context, request->key(), request->has_if_revision(),
                         request->if_revision());
      !s.ok()) {
    return s;
  }
  values_[request->key()] = Versioned{request->value(), ++revision_};
  response->set_revision(revision_);
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::Delete(grpc::ServerContext* context,
                                  const kv::v1::DeleteRequest* request,
                                  kv::v1::DeleteResponse* response) {
  if (grpc::Status s = TakeFailure(context, "Delete"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  if (grpc::Status s =
          CheckCondition(context, request->key(), request->has_if_revision(),
                         request->if_revision());
      !s.ok()) {
    return s;
  }
  if (values_.erase(request->key()) != 0) response->set_revision(++revision_);
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

grpc::Status FakeKeyValue::Increment(grpc::ServerContext* context,
                                     const kv::v1::IncrementRequest* request,
                                     kv::v1::IncrementResponse* response) {
  if (grpc::Status s = TakeFailure(context, "Increment"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  int64_t value = 0;
  auto it = values_.find(request->key());
  if (it != values_.end()) {
    std::optional<int64_t> parsed = ParseCanonicalInt64(it->second.value);
    if (!parsed.has_value()) {
      return KvError(context, grpc::StatusCode::FAILED_PRECONDITION,
                     kv::v1::ERROR_CODE_NOT_AN_INTEGER,
                     "NOT_AN_INTEGER: the value of key " +
                         Quoted(request->key()) + " is not an integer");
    }
    value = *parsed;
  }
  const int64_t delta = request->delta();
  if ((delta > 0 && value > std::numeric_limits<int64_t>::max() - delta) ||
      (delta < 0 && value < std::numeric_limits<int64_t>::min() - delta)) {
    return KvError(context, grpc::StatusCode::OUT_OF_RANGE,
                   kv::v1::ERROR_CODE_OUT_OF_RANGE,
                   "OUT_OF_RANGE: incrementing key " + Quoted(request->key()) +
                       " would overflow int64");
  }
  value += delta;
  values_[request->key()] = Versioned{absl::StrCat(value), ++revision_};
  response->set_value(value);
  response->set_revision(revision_);
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::GetMany(grpc::ServerContext* context,
                                   const kv::v1::GetManyRequest* request,
                                   kv::v1::GetManyResponse* response) {
  if (grpc::Status s = TakeFailure(context, "GetMany"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  if (grpc::Status s = CheckNoDuplicates(
          context, request->keys(),
          [](const std::string& key) -> const std::string& { return key; });
      !s.ok()) {
    return s;
  }
  for (const std::string& key : request->keys()) {
    kv::v1::Entry* entry = response->add_entries();
    entry->set_key(key);
    auto it = values_.find(key);
    if (it == values_.end()) continue;
    entry->set_found(true);
    entry->set_value(it->second.value);
    entry->set_revision(it->second.revision);
  }
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::SetMany(grpc::ServerContext* context,
                                   const kv::v1::SetManyRequest* request,
                                   kv::v1::SetManyResponse* response) {
  if (grpc::Status s = TakeFailure(context, "SetMany"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  if (grpc::Status s = CheckNoDuplicates(
          context, request->entries(),
          [](const kv::v1::SetEntry& entry) -> const std::string& {
            return entry.key();
          });
      !s.ok()) {
    return s;
  }
  // Every condition first: all or nothing.
  for (int i = 0; i < request->entries_size(); ++i) {
    const kv::v1::SetEntry& entry = request->entries(i);
    if (grpc::Status s =
            CheckCondition(context, entry.key(), entry.has_if_revision(),
                           entry.if_revision(), i);
        !s.ok()) {
      return s;
    }
  }
  for (const kv::v1::SetEntry& entry : request->entries()) {
    values_[entry.key()] = Versioned{entry.value(), ++revision_};
    response->add_revisions(revision_);
  }
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::DeleteMany(grpc::ServerContext* context,
                                      const kv::v1::DeleteManyRequest* request,
                                      kv::v1::DeleteManyResponse* response) {
  if (grpc::Status s = TakeFailure(context, "DeleteMany"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  if (grpc::Status s = CheckNoDuplicates(
          context, request->keys(),
          [](const std::string& key) -> const std::string& { return key; });
      !s.ok()) {
    return s;
  }
  for (const std::string& key : request->keys()) {
    response->add_revisions(values_.erase(key) != 0 ? ++revision_ : 0);
  }
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::Describe(grpc::ServerContext* context,
                                    const kv::v1::DescribeRequest* request,
                                    kv::v1::DescribeResponse* response) {
  if (grpc::Status s = TakeFailure(context, "Describe"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  response->set_name("default");
  response->set_driver("memory");
  response->set_durability(kv::v1::DURABILITY_NONE);
  kv::v1::StoreLimits* limits = response->mutable_limits();
  limits->set_max_key_bytes(256);
  limits->set_max_value_bytes(1 << 20);
  limits->set_max_batch_entries(1000);
  limits->set_max_batch_bytes(4 << 20);
  response->set_revision(revision_);
  for (kv::v1::Capability capability :
       {kv::v1::CAPABILITY_REVISIONS, kv::v1::CAPABILITY_CONDITIONAL_WRITES,
        kv::v1::CAPABILITY_INCREMENT, kv::v1::CAPABILITY_ATOMIC_BATCHES}) {
    response->add_capabilities(capability);
  }
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
