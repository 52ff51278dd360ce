// Writes to a store whose driver type has nonblocking writes hold no thread
// while they wait for their backend: with one worker thread per store, 64
// writes wait inside the driver at once and complete together.

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "kv/v1/kv.grpc.pb.h"
#include "service/one_store_server.h"
#include "store/driver.h"
#include "store/registry.h"

namespace kv {
namespace {

constexpr int kParkedWrites = 64;
// Far longer than 64 writes take; reaching it means they could not all be
// waiting in the driver at once.
constexpr absl::Duration kHangGuard = absl::Seconds(30);

// Parks every WriteAsync until kParkedWrites are parked, then completes them
// all. The blocking Write fails: kvd must not use it for this store.
class ParkingDriver : public Driver {
 public:
  static ParkingDriver* last_opened;

  absl::StatusOr<Versioned> Get(absl::string_view) override {
    return absl::NotFoundError("no keys");
  }
  absl::StatusOr<std::vector<absl::optional<Versioned>>> GetMany(
      absl::Span<const absl::string_view> keys) override {
    return std::vector<absl::optional<Versioned>>(keys.size());
  }
  absl::StatusOr<MutationResults> Write(absl::Span<const Mutation>) override {
    return absl::FailedPreconditionError("blocking Write called");
  }
  void WriteAsync(absl::Span<const Mutation>, WriteDone done) override {
    Park(std::move(done));
  }
  absl::StatusOr<bool> Exists(absl::string_view) override { return false; }
  absl::StatusOr<uint64_t> CurrentRevision() override { return 0; }
  absl::StatusOr<KeyPage> ListKeyPage(const KeyPageRequest&) override {
    return KeyPage();
  }
  absl::StatusOr<size_t> ReclaimExpired(size_t) override { return 0; }

  // Completes whatever is still parked with `status`, so a failing test
  // still shuts down.
  void ReleaseAll(const absl::Status& status) {
    std::vector<WriteDone> parked;
    {
      absl::MutexLock lock(&mutex_);
      parked.swap(parked_);
    }
    for (WriteDone& done : parked) {
      if (status.ok()) {
        done(MutationResults(1));
      } else {
        done(status);
      }
    }
  }

 private:
  void Park(WriteDone done) {
    {
      absl::MutexLock lock(&mutex_);
      parked_.push_back(std::move(done));
      if (parked_.size() < kParkedWrites) return;
    }
    ReleaseAll(absl::OkStatus());
  }

  absl::Mutex mutex_;
  std::vector<WriteDone> parked_ ABSL_GUARDED_BY(mutex_);
};
ParkingDriver* ParkingDriver::last_opened = nullptr;

const bool kRegistered = [] {
  DriverType type;
  type.description = "test: writes park until 64 are waiting";
  type.open = [](const StoreSpec&) -> absl::StatusOr<std::unique_ptr<Driver>> {
    auto driver = std::make_unique<ParkingDriver>();
    ParkingDriver::last_opened = driver.get();
    return driver;
  };
  type.nonblocking_writes = true;
  return RegisterDriverType("parking", std::move(type));
}();

TEST(NonblockingWritesTest, WaitingWritesHoldNoWorkerThread) {
  absl::StatusOr<std::unique_ptr<OneStoreServer>> server =
      OneStoreServer::Start("parking");
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_NE(ParkingDriver::last_opened, nullptr);
  v1::KeyValue::Stub& stub = (*server)->stub();

  // Half Sets, half Deletes: both take the nonblocking path.
  std::vector<grpc::Status> results(kParkedWrites);
  std::vector<std::thread> writers;
  for (int i = 0; i < kParkedWrites; ++i) {
    writers.emplace_back([&, i] {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + kHangGuard));
      if (i % 2 == 0) {
        v1::SetRequest set;
        set.set_store((*server)->handle());
        set.set_key(absl::StrCat("k", i));
        set.set_value("v");
        v1::SetResponse response;
        results[i] = stub.Set(&context, set, &response);
      } else {
        v1::DeleteRequest del;
        del.set_store((*server)->handle());
        del.set_key(absl::StrCat("k", i));
        v1::DeleteResponse response;
        results[i] = stub.Delete(&context, del, &response);
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  ParkingDriver::last_opened->ReleaseAll(
      absl::CancelledError("the test gave up"));
  for (const grpc::Status& result : results) {
    EXPECT_TRUE(result.ok()) << result.error_message();
  }
}

}  // namespace
}  // namespace kv
