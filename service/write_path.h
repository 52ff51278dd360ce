#ifndef KV_SERVICE_WRITE_PATH_H_
#define KV_SERVICE_WRITE_PATH_H_

// The path every write operation shares (Set, Delete, Increment, SetMany,
// DeleteMany): resolve the caller's handle, refuse a read-only grant, check
// the request against the limits, turn it into Mutations, run them through
// the store's driver (now, or from the driver's callback), and map the
// outcome to the response or to the API's error.
//
// An operation describes its request with a plan, a struct of static
// functions:
//
//   struct SetPlan {
//     using Request = v1::SetRequest;
//     using Response = v1::SetResponse;
//     // Whether the request is a batch: errors about one mutation then name
//     // its entry and carry its index (kv-failed-index).
//     static constexpr bool kBatch = false;
//     // What the request does, for messages: `set key "k"`.
//     static std::string Action(const Request& request);
//     // kBatch only: what entry `index` does, for an error about it alone.
//     static std::string EntryAction(const Request& request, size_t index);
//     // Checks beyond the handle: keys, values, batch limits.
//     static absl::Status Validate(const Request& request,
//                                  const Limits& limits);
//     // The mutations, views into `request`. Empty: nothing to write, the
//     // driver is not called and Respond gets no results.
//     static Mutations ToMutations(const Request& request);
//     // The response, from one result per mutation.
//     static Response Respond(const Request& request,
//                             const MutationResults& results);
//   };

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "service/errors/kv_error.h"
#include "service/expiry_fields.h"
#include "service/operation_context.h"
#include "store/driver.h"
#include "store/status_macros.h"

namespace kv {
namespace write_path {

// A write's mutations. One is held inline: most writes change one key.
using Mutations = absl::InlinedVector<Mutation, 1>;

// The optional `if_revision` of a SetRequest, DeleteRequest or SetEntry, as
// a Mutation's condition.
template <typename Message>
absl::optional<uint64_t> IfRevisionOf(const Message& message) {
  if (!message.has_if_revision()) return absl::nullopt;
  return message.if_revision();
}

// The `ttl` of a SetRequest or SetEntry, as a Mutation's ttl. Call only once
// Validate has accepted it (RequestedTtl, service/expiry_fields.h).
template <typename Message>
absl::Duration TtlOf(const Message& message) {
  absl::StatusOr<absl::Duration> ttl = RequestedTtl(
      message.has_ttl(), message.ttl(), absl::InfiniteDuration(), "ttl");
  return ttl.ok() ? *ttl : absl::InfiniteDuration();
}

// The API error for a driver's failed Write of a request described by
// `action`: CONDITION_FAILED, NOT_AN_INTEGER and OUT_OF_RANGE for the
// driver's meaningful errors (store/write_errors.h), with the current
// revision and, for a batch, the failed entry's index attached; IO for
// anything else.
absl::Status WriteFailure(absl::string_view store, absl::string_view action,
                          const absl::Status& driver_status, bool batch);

// The index of the mutation `driver_status` is about, if it is about one.
absl::optional<size_t> FailedMutation(const absl::Status& driver_status);

template <typename Plan>
absl::StatusOr<OperationContext::ResolvedStore> Check(
    OperationContext& context, const std::string& principal,
    const typename Plan::Request& request) {
  KV_ASSIGN_OR_RETURN(OperationContext::ResolvedStore store,
                      context.Resolve(principal, request.store()));
  if (store.read_only) {
    return ReadOnlyStoreError(store.name, Plan::Action(request));
  }
  KV_RETURN_IF_ERROR(Plan::Validate(request, context.limits()));
  return store;
}

// The response for the driver's `outcome`, recorded in the store's health.
template <typename Plan>
absl::StatusOr<typename Plan::Response> Finish(
    OperationContext& context, const OperationContext::ResolvedStore& store,
    const typename Plan::Request& request,
    absl::StatusOr<MutationResults> outcome) {
  if (!outcome.ok()) {
    std::string action;
    if constexpr (Plan::kBatch) {
      absl::optional<size_t> index = FailedMutation(outcome.status());
      action = index.has_value() ? Plan::EntryAction(request, *index)
                                 : Plan::Action(request);
    } else {
      action = Plan::Action(request);
    }
    return context.Observe(
        store.name,
        WriteFailure(store.name, action, outcome.status(), Plan::kBatch));
  }
  context.Observe(store.name, absl::OkStatus()).IgnoreError();
  return Plan::Respond(request, *outcome);
}

// Runs the write to completion on the calling thread.
template <typename Plan>
absl::StatusOr<typename Plan::Response> Run(
    OperationContext& context, const std::string& principal,
    const typename Plan::Request& request) {
  KV_ASSIGN_OR_RETURN(OperationContext::ResolvedStore store,
                      Check<Plan>(context, principal, request));
  const Mutations mutations = Plan::ToMutations(request);
  if (mutations.empty()) return Plan::Respond(request, MutationResults());
  return Finish<Plan>(context, store, request, store.driver->Write(mutations));
}

// Starts the write with Driver::WriteAsync and calls `done` once with the
// response or the error, possibly on the driver's thread.
template <typename Plan>
void Start(
    OperationContext& context, const std::string& principal,
    std::shared_ptr<const typename Plan::Request> request,
    absl::AnyInvocable<void(absl::StatusOr<typename Plan::Response>)> done) {
  absl::StatusOr<OperationContext::ResolvedStore> store =
      Check<Plan>(context, principal, *request);
  if (!store.ok()) {
    done(store.status());
    return;
  }
  // The mutations view the request; both live until the driver is done.
  struct InFlight {
    std::shared_ptr<const typename Plan::Request> request;
    Mutations mutations;
  };
  auto in_flight = std::make_shared<InFlight>();
  in_flight->mutations = Plan::ToMutations(*request);
  in_flight->request = std::move(request);
  if (in_flight->mutations.empty()) {
    done(Plan::Respond(*in_flight->request, MutationResults()));
    return;
  }
  Driver& driver = *store->driver;
  absl::Span<const Mutation> mutations = in_flight->mutations;
  driver.WriteAsync(mutations,
                    [&context, store = *std::move(store),
                     in_flight = std::move(in_flight), done = std::move(done)](
                        absl::StatusOr<MutationResults> outcome) mutable {
                      done(Finish<Plan>(context, store, *in_flight->request,
                                        std::move(outcome)));
                    });
}

}  // namespace write_path
}  // namespace kv

#endif  // KV_SERVICE_WRITE_PATH_H_
