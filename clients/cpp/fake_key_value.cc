#include "clients/cpp/fake_key_value.h"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
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

constexpr char kTokenTag[] = "fake-page:";

// kvd's defaults: a page of 1,000 keys, at most 10,000; ttls up to 10 years.
constexpr int kDefaultPageSize = 1000;
constexpr int kMaxPageSize = 10000;
constexpr absl::Duration kMaxTtl = absl::Hours(24 * 3650);

std::string PageToken(const std::string& prefix, const std::string& last) {
  return absl::StrCat(kTokenTag, prefix.size(), ":", prefix, last);
}

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* timestamp) {
  const int64_t nanos = absl::ToUnixNanos(time);
  timestamp->set_seconds(nanos / 1000000000);
  timestamp->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

}  // namespace

int FakeKeyValue::list_keys_calls() const {
  absl::MutexLock lock(&mu_);
  return list_keys_calls_;
}

kv::v1::ListKeysRequest FakeKeyValue::last_list_keys_request() const {
  absl::MutexLock lock(&mu_);
  return last_list_keys_request_;
}

void FakeKeyValue::AdvanceClock(absl::Duration duration) {
  absl::MutexLock lock(&mu_);
  clock_offset_ += duration;
}

absl::Time FakeKeyValue::Now() const {
  absl::MutexLock lock(&mu_);
  return NowLocked();
}

absl::Time FakeKeyValue::NowLocked() const {
  return absl::Now() + clock_offset_;
}

bool FakeKeyValue::Live(const std::string& key) {
  auto it = values_.find(key);
  if (it == values_.end()) return false;
  if (it->second.expire_at.has_value() &&
      *it->second.expire_at <= NowLocked()) {
    values_.erase(it);
    return false;
  }
  return true;
}

void FakeKeyValue::DropExpired() {
  const absl::Time now = NowLocked();
  for (auto it = values_.begin(); it != values_.end();) {
    if (it->second.expire_at.has_value() && *it->second.expire_at <= now) {
      it = values_.erase(it);
    } else {
      ++it;
    }
  }
}

grpc::Status FakeKeyValue::CheckTtl(grpc::ServerContext* context, bool has_ttl,
                                    const google::protobuf::Duration& ttl,
                                    std::optional<absl::Time>& expire_at) {
  expire_at.reset();
  if (!has_ttl) return grpc::Status::OK;
  const absl::Duration duration =
      absl::Seconds(ttl.seconds()) + absl::Nanoseconds(ttl.nanos());
  const absl::Duration whole = absl::Trunc(duration, absl::Milliseconds(1));
  if (whole < absl::Milliseconds(1) || whole > kMaxTtl) {
    return KvError(context, grpc::StatusCode::INVALID_ARGUMENT,
                   kv::v1::ERROR_CODE_IO,
                   "IO: ttl " + absl::FormatDuration(duration) +
                       " is not from 1ms to 10 years");
  }
  expire_at = NowLocked() + whole;
  return grpc::Status::OK;
}

void FakeKeyValue::FailNextCall(grpc::Status status, std::string error_code,
                                std::string method) {
  absl::MutexLock lock(&mu_);
  failure_ = std::move(status);
  failure_code_ = std::move(error_code);
  failure_method_ = std::move(method);
}

void FakeKeyValue::Unimplement(std::string method) {
  absl::MutexLock lock(&mu_);
  unimplemented_.insert(std::move(method));
}

void FakeKeyValue::DeleteBeforeNextCall(std::string method, std::string key) {
  absl::MutexLock lock(&mu_);
  delete_before_method_ = std::move(method);
  delete_before_key_ = std::move(key);
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
  if (!delete_before_method_.empty() && delete_before_method_ == method) {
    values_.erase(delete_before_key_);
    delete_before_method_.clear();
  }
  if (unimplemented_.count(std::string(method)) != 0) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        absl::StrCat("unknown method ", method));
  }
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

uint64_t FakeKeyValue::RevisionOf(const std::string& key) {
  if (!Live(key)) return 0;
  return values_.find(key)->second.revision;
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
  if (!Live(request->key())) {
    return KvError(context, grpc::StatusCode::NOT_FOUND,
                   kv::v1::ERROR_CODE_NO_SUCH_KEY,
                   "NO_SUCH_KEY: key \"" + request->key() +
                       "\" is not in store \"default\"");
  }
  const Versioned& found = values_.find(request->key())->second;
  response->set_value(found.value);
  response->set_revision(found.revision);
  if (found.expire_at.has_value()) {
    SetTimestamp(*found.expire_at, response->mutable_expire_time());
  }
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
  std::optional<absl::Time> expire_at;
  if (grpc::Status s =
          CheckTtl(context, request->has_ttl(), request->ttl(), expire_at);
      !s.ok()) {
    return s;
  }
  values_[request->key()] = Versioned{request->value(), ++revision_, expire_at};
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
  if (Live(request->key())) {
    values_.erase(request->key());
    response->set_revision(++revision_);
  }
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
  response->set_exists(Live(request->key()));
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
  DropExpired();
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
  std::optional<absl::Time> expire_at;  // Increment keeps an expiry.
  auto it = Live(request->key()) ? values_.find(request->key()) : values_.end();
  if (it != values_.end()) {
    expire_at = it->second.expire_at;
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
  values_[request->key()] =
      Versioned{absl::StrCat(value), ++revision_, expire_at};
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
    if (!Live(key)) continue;
    const Versioned& found = values_.find(key)->second;
    entry->set_found(true);
    entry->set_value(found.value);
    entry->set_revision(found.revision);
    if (found.expire_at.has_value()) {
      SetTimestamp(*found.expire_at, entry->mutable_expire_time());
    }
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
  std::vector<std::optional<absl::Time>> expiries(request->entries_size());
  for (int i = 0; i < request->entries_size(); ++i) {
    const kv::v1::SetEntry& entry = request->entries(i);
    if (grpc::Status s =
            CheckTtl(context, entry.has_ttl(), entry.ttl(), expiries[i]);
        !s.ok()) {
      return s;
    }
  }
  for (int i = 0; i < request->entries_size(); ++i) {
    const kv::v1::SetEntry& entry = request->entries(i);
    values_[entry.key()] = Versioned{entry.value(), ++revision_, expiries[i]};
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
    response->add_revisions(Live(key) && values_.erase(key) != 0 ? ++revision_
                                                                 : 0);
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
  limits->mutable_max_ttl()->set_seconds(absl::ToInt64Seconds(kMaxTtl));
  limits->set_max_page_size(kMaxPageSize);
  response->set_revision(revision_);
  for (kv::v1::Capability capability :
       {kv::v1::CAPABILITY_REVISIONS, kv::v1::CAPABILITY_CONDITIONAL_WRITES,
        kv::v1::CAPABILITY_INCREMENT, kv::v1::CAPABILITY_ATOMIC_BATCHES,
        kv::v1::CAPABILITY_TTL, kv::v1::CAPABILITY_LIST_PAGES}) {
    response->add_capabilities(capability);
  }
  return grpc::Status::OK;
}

grpc::Status FakeKeyValue::ListKeys(grpc::ServerContext* context,
                                    const kv::v1::ListKeysRequest* request,
                                    kv::v1::ListKeysResponse* response) {
  {
    absl::MutexLock lock(&mu_);
    ++list_keys_calls_;
    last_list_keys_request_ = *request;
  }
  if (grpc::Status s = TakeFailure(context, "ListKeys"); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (grpc::Status s = CheckHandle(context, request->store()); !s.ok()) {
    return s;
  }
  if (request->page_size() < 0) {
    return KvError(
        context, grpc::StatusCode::INVALID_ARGUMENT, kv::v1::ERROR_CODE_IO,
        absl::StrCat("IO: page_size ", request->page_size(), " is negative"));
  }
  const std::string& prefix = request->prefix();
  std::string after;
  if (!request->page_token().empty()) {
    const std::string& token = request->page_token();
    const std::string expected = PageToken(prefix, "");
    if (!absl::StartsWith(token, kTokenTag)) {
      return KvError(context, grpc::StatusCode::INVALID_ARGUMENT,
                     kv::v1::ERROR_CODE_IO,
                     "IO: page_token is not a page token of kvd's");
    }
    if (!absl::StartsWith(token, expected)) {
      return KvError(context, grpc::StatusCode::INVALID_ARGUMENT,
                     kv::v1::ERROR_CODE_IO,
                     "IO: page_token was issued for another prefix");
    }
    after = token.substr(expected.size());
  }
  const int limit = request->page_size() == 0
                        ? kDefaultPageSize
                        : std::min(request->page_size(), kMaxPageSize);
  DropExpired();
  auto it = request->page_token().empty() ? values_.lower_bound(prefix)
                                          : values_.upper_bound(after);
  for (; it != values_.end() && absl::StartsWith(it->first, prefix); ++it) {
    if (response->keys_size() == limit) {
      response->set_next_page_token(
          PageToken(prefix, response->keys(limit - 1)));
      break;
    }
    response->add_keys(it->first);
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
