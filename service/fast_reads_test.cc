// Reads of a store whose driver type has fast reads run on the gRPC thread
// that received them, not on the store's pool: with the store's only worker
// held by a Set, a Get still completes.

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "kv/v1/kv.grpc.pb.h"
#include "service/one_store_server.h"
#include "store/driver.h"
#include "store/registry.h"

namespace kv {
namespace {

// Far longer than one Get takes; reaching it means the Get waited for the
// worker that the Set holds.
constexpr absl::Duration kHangGuard = absl::Seconds(30);

// What the driver's calls tell each other: a Set waits, holding its worker,
// until a Get has run.
struct Rendezvous {
  absl::Mutex mutex;
  absl::CondVar changed;
  bool set_waiting = false;
  bool get_ran = false;
};
Rendezvous& Shared() {
  static Rendezvous* const rendezvous = new Rendezvous();
  return *rendezvous;
}

class SetWaitsForGetDriver : public Driver {
 public:
  absl::StatusOr<Versioned> Get(absl::string_view) override {
    Rendezvous& shared = Shared();
    absl::MutexLock lock(&shared.mutex);
    shared.get_ran = true;
    shared.changed.SignalAll();
    return Versioned{"value", 1};
  }
  absl::StatusOr<std::vector<absl::optional<Versioned>>> GetMany(
      absl::Span<const absl::string_view> keys) override {
    return std::vector<absl::optional<Versioned>>(keys.size());
  }
  absl::StatusOr<MutationResults> Write(absl::Span<const Mutation>) override {
    Rendezvous& shared = Shared();
    absl::MutexLock lock(&shared.mutex);
    shared.set_waiting = true;
    shared.changed.SignalAll();
    const absl::Time deadline = absl::Now() + kHangGuard;
    while (!shared.get_ran) {
      if (shared.changed.WaitWithDeadline(&shared.mutex, deadline)) {
        return absl::DeadlineExceededError("no Get ran while this Set waited");
      }
    }
    return MutationResults(1);
  }
  absl::StatusOr<bool> Exists(absl::string_view) override { return true; }
  absl::StatusOr<uint64_t> CurrentRevision() override { return 1; }
  absl::StatusOr<KeyPage> ListKeyPage(const KeyPageRequest&) override {
    return KeyPage();
  }
  absl::StatusOr<size_t> ReclaimExpired(size_t) override { return 0; }
};

const bool kRegistered = [] {
  DriverType type;
  type.description = "test: a Set waits for a Get";
  type.open = [](const StoreSpec&) -> absl::StatusOr<std::unique_ptr<Driver>> {
    return std::make_unique<SetWaitsForGetDriver>();
  };
  type.fast_reads = true;
  return RegisterDriverType("set_waits_for_get", std::move(type));
}();

TEST(FastReadsTest, GetRunsWhileTheStoresOnlyWorkerIsBusy) {
  absl::StatusOr<std::unique_ptr<OneStoreServer>> server =
      OneStoreServer::Start("set_waits_for_get");
  ASSERT_TRUE(server.ok()) << server.status();
  v1::KeyValue::Stub& stub = (*server)->stub();

  grpc::Status set_result;
  std::thread writer([&] {
    grpc::ClientContext context;
    v1::SetRequest set;
    set.set_store((*server)->handle());
    set.set_key("k");
    set.set_value("v");
    v1::SetResponse response;
    set_result = stub.Set(&context, set, &response);
  });
  {
    Rendezvous& shared = Shared();
    absl::MutexLock lock(&shared.mutex);
    const absl::Time deadline = absl::Now() + kHangGuard;
    while (!shared.set_waiting &&
           !shared.changed.WaitWithDeadline(&shared.mutex, deadline)) {
    }
    ASSERT_TRUE(shared.set_waiting) << "the Set never reached the driver";
  }
  grpc::ClientContext get_context;
  v1::GetRequest get;
  get.set_store((*server)->handle());
  get.set_key("k");
  v1::GetResponse got;
  const grpc::Status get_result = stub.Get(&get_context, get, &got);
  writer.join();
  EXPECT_TRUE(get_result.ok()) << get_result.error_message();
  EXPECT_EQ(got.value(), "value");
  EXPECT_TRUE(set_result.ok()) << set_result.error_message();
}

}  // namespace
}  // namespace kv
