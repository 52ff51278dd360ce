#include "service/batch_operations.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "service/batch_validation.h"
#include "service/errors/kv_error.h"
#include "service/expiry_fields.h"
#include "service/write_path.h"
#include "store/status_macros.h"

namespace kv {
namespace operations {
namespace {

std::string EntryDescription(absl::string_view rpc, size_t index,
                             absl::string_view key) {
  return absl::StrCat(rpc, " entry ", index, " (key ", Quote(key), ")");
}

void AddRevisions(const MutationResults& results,
                  google::protobuf::RepeatedField<uint64_t>& revisions) {
  revisions.Reserve(static_cast<int>(results.size()));
  for (const MutationResult& result : results) revisions.Add(result.revision);
}

struct SetManyPlan {
  using Request = v1::SetManyRequest;
  using Response = v1::SetManyResponse;
  static constexpr bool kBatch = true;
  static std::string Action(const Request& request) {
    return absl::StrCat("SetMany of ", request.entries_size(), " entries");
  }
  static std::string EntryAction(const Request& request, size_t index) {
    return EntryDescription("SetMany", index, request.entries(index).key());
  }
  static absl::Status Validate(const Request& request, const Limits& limits) {
    KV_RETURN_IF_ERROR(ValidateBatch(
        "SetMany", request.entries_size(),
        [&](size_t i) -> absl::string_view { return request.entries(i).key(); },
        [&](size_t i) { return request.entries(i).value().size(); }, limits));
    for (int i = 0; i < request.entries_size(); ++i) {
      const v1::SetEntry& entry = request.entries(i);
      KV_RETURN_IF_ERROR(RequestedTtl(entry.has_ttl(), entry.ttl(),
                                      limits.max_ttl,
                                      absl::StrCat("entries[", i, "].ttl"))
                             .status());
    }
    return absl::OkStatus();
  }
  static write_path::Mutations ToMutations(const Request& request) {
    write_path::Mutations mutations;
    mutations.reserve(request.entries_size());
    for (const v1::SetEntry& entry : request.entries()) {
      mutations.push_back(Mutation::Set(entry.key(), entry.value(),
                                        write_path::IfRevisionOf(entry),
                                        write_path::TtlOf(entry)));
    }
    return mutations;
  }
  static Response Respond(const Request& /*request*/,
                          const MutationResults& results) {
    Response response;
    AddRevisions(results, *response.mutable_revisions());
    return response;
  }
};

struct DeleteManyPlan {
  using Request = v1::DeleteManyRequest;
  using Response = v1::DeleteManyResponse;
  static constexpr bool kBatch = true;
  static std::string Action(const Request& request) {
    return absl::StrCat("DeleteMany of ", request.keys_size(), " keys");
  }
  static std::string EntryAction(const Request& request, size_t index) {
    return EntryDescription("DeleteMany", index, request.keys(index));
  }
  static absl::Status Validate(const Request& request, const Limits& limits) {
    return ValidateBatch(
        "DeleteMany", request.keys_size(),
        [&](size_t i) -> absl::string_view { return request.keys(i); },
        [](size_t) { return size_t{0}; }, limits);
  }
  static write_path::Mutations ToMutations(const Request& request) {
    write_path::Mutations mutations;
    mutations.reserve(request.keys_size());
    for (const std::string& key : request.keys()) {
      mutations.push_back(Mutation::Delete(key));
    }
    return mutations;
  }
  static Response Respond(const Request& /*request*/,
                          const MutationResults& results) {
    Response response;
    AddRevisions(results, *response.mutable_revisions());
    return response;
  }
};

}  // namespace

absl::StatusOr<v1::GetManyResponse> GetMany(OperationContext& context,
                                            const std::string& principal,
                                            const v1::GetManyRequest& request) {
  KV_ASSIGN_OR_RETURN(OperationContext::ResolvedStore store,
                      context.Resolve(principal, request.store()));
  const Limits& limits = context.limits();
  KV_RETURN_IF_ERROR(ValidateBatch(
      "GetMany", request.keys_size(),
      [&](size_t i) -> absl::string_view { return request.keys(i); },
      [](size_t) { return size_t{0}; }, limits));
  std::vector<absl::string_view> keys(request.keys().begin(),
                                      request.keys().end());
  v1::GetManyResponse response;
  if (keys.empty()) return response;
  absl::StatusOr<std::vector<absl::optional<Versioned>>> found =
      store.driver->GetMany(keys);
  if (!found.ok()) {
    return context.Observe(
        store.name,
        BackendError(store.name,
                     absl::StrCat("GetMany of ", keys.size(), " keys"),
                     found.status()));
  }
  context.Observe(store.name, absl::OkStatus()).IgnoreError();
  size_t bytes = 0;
  response.mutable_entries()->Reserve(static_cast<int>(keys.size()));
  for (size_t i = 0; i < keys.size(); ++i) {
    v1::Entry* entry = response.add_entries();
    entry->set_key(request.keys(static_cast<int>(i)));
    absl::optional<Versioned>& value = (*found)[i];
    bytes += keys[i].size();
    if (!value.has_value()) continue;
    bytes += value->value.size();
    if (bytes > limits.max_batch_bytes) {
      return MakeKvError(
          v1::ERROR_CODE_IO, absl::StatusCode::kResourceExhausted,
          absl::StrCat("store ", Quote(store.name), ": GetMany of ",
                       keys.size(), " keys: the values pass ",
                       limits.max_batch_bytes,
                       " bytes (limits.max_batch_bytes) at entry ", i, " (key ",
                       Quote(keys[i]), "); ask for fewer keys per call"));
    }
    entry->set_found(true);
    *entry->mutable_value() = std::move(value->value);
    entry->set_revision(value->revision);
    SetExpireTime(value->expire_time, *entry);
  }
  return response;
}

absl::StatusOr<v1::SetManyResponse> SetMany(OperationContext& context,
                                            const std::string& principal,
                                            const v1::SetManyRequest& request) {
  return write_path::Run<SetManyPlan>(context, principal, request);
}

void StartSetMany(
    OperationContext& context, const std::string& principal,
    std::shared_ptr<const v1::SetManyRequest> request,
    Operation<v1::SetManyRequest, v1::SetManyResponse>::Done done) {
  write_path::Start<SetManyPlan>(context, principal, std::move(request),
                                 std::move(done));
}

absl::StatusOr<v1::DeleteManyResponse> DeleteMany(
    OperationContext& context, const std::string& principal,
    const v1::DeleteManyRequest& request) {
  return write_path::Run<DeleteManyPlan>(context, principal, request);
}

void StartDeleteMany(
    OperationContext& context, const std::string& principal,
    std::shared_ptr<const v1::DeleteManyRequest> request,
    Operation<v1::DeleteManyRequest, v1::DeleteManyResponse>::Done done) {
  write_path::Start<DeleteManyPlan>(context, principal, std::move(request),
                                    std::move(done));
}

}  // namespace operations
}  // namespace kv
