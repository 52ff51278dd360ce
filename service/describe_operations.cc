#include "service/describe_operations.h"

#include "service/errors/kv_error.h"
#include "store/status_macros.h"

namespace kv {
namespace operations {
namespace {

v1::Durability ToProto(Driver::Durability durability) {
  switch (durability) {
    case Driver::Durability::kNone:
      return v1::DURABILITY_NONE;
    case Driver::Durability::kProcess:
      return v1::DURABILITY_PROCESS;
    case Driver::Durability::kDisk:
      return v1::DURABILITY_DISK;
    case Driver::Durability::kUnknown:
      break;
  }
  return v1::DURABILITY_UNSPECIFIED;
}

}  // namespace

absl::StatusOr<v1::DescribeResponse> Describe(
    OperationContext& context, const std::string& principal,
    const v1::DescribeRequest& request) {
  KV_ASSIGN_OR_RETURN(OperationContext::ResolvedStore store,
                      context.Resolve(principal, request.store()));
  absl::StatusOr<uint64_t> revision = store.driver->CurrentRevision();
  if (!revision.ok()) {
    return context.Observe(
        store.name,
        BackendError(store.name, "read the store revision", revision.status()));
  }
  context.Observe(store.name, absl::OkStatus()).IgnoreError();
  const Limits& limits = context.limits();
  v1::DescribeResponse response;
  response.set_name(store.name);
  response.set_driver(context.catalog().TypeOf(store.name));
  response.set_durability(ToProto(store.driver->durability()));
  v1::StoreLimits* store_limits = response.mutable_limits();
  store_limits->set_max_key_bytes(limits.max_key_bytes);
  store_limits->set_max_value_bytes(limits.max_value_bytes);
  store_limits->set_max_batch_entries(limits.max_batch_entries);
  store_limits->set_max_batch_bytes(limits.max_batch_bytes);
  store_limits->mutable_max_ttl()->set_seconds(
      absl::ToInt64Seconds(limits.max_ttl));
  store_limits->set_max_page_size(static_cast<uint32_t>(limits.max_page_size));
  response.set_revision(*revision);
  // Every driver passes the whole conformance suite, so every store has
  // every capability; a driver without one would say so here.
  for (v1::Capability capability :
       {v1::CAPABILITY_REVISIONS, v1::CAPABILITY_CONDITIONAL_WRITES,
        v1::CAPABILITY_INCREMENT, v1::CAPABILITY_ATOMIC_BATCHES,
        v1::CAPABILITY_TTL, v1::CAPABILITY_LIST_PAGES}) {
    response.add_capabilities(capability);
  }
  response.set_read_only(store.read_only);
  return response;
}

}  // namespace operations
}  // namespace kv
