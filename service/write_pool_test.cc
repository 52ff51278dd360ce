// Writes to a store whose driver type asks for write threads run on a pool of
// their own: with one worker thread per store, four Sets still run at once.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "kv/v1/kv.grpc.pb.h"
#include "service/server.h"
#include "service/store_catalog.h"
#include "store/driver.h"
#include "store/registry.h"

namespace kv {
namespace {

constexpr int kConcurrentWrites = 4;
// Far longer than four Sets take together; reaching it means they could not
// all be inside the driver at once.
constexpr absl::Duration kHangGuard = absl::Seconds(30);

// Each Set waits until kConcurrentWrites Sets are inside the driver at once,
// so Sets succeed only if that many run concurrently.
class RendezvousDriver : public Driver {
 public:
  absl::StatusOr<std::string> Get(absl::string_view) override {
    return absl::NotFoundError("no keys");
  }
  absl::Status Set(absl::string_view, absl::string_view) override {
    absl::MutexLock lock(&mutex_);
    ++arrived_;
    arrivals_.SignalAll();
    const absl::Time deadline = absl::Now() + kHangGuard;
    while (arrived_ < kConcurrentWrites) {
      if (arrivals_.WaitWithDeadline(&mutex_, deadline)) {
        return absl::DeadlineExceededError(
            absl::StrCat("only ", arrived_, " Sets ran at once"));
      }
    }
    return absl::OkStatus();
  }
  absl::Status Delete(absl::string_view) override { return absl::OkStatus(); }
  absl::StatusOr<bool> Exists(absl::string_view) override { return false; }
  absl::Status ListKeys(absl::FunctionRef<bool(absl::string_view)>) override {
    return absl::OkStatus();
  }

 private:
  absl::Mutex mutex_;
  absl::CondVar arrivals_;
  int arrived_ = 0;
};

const bool kRegistered = [] {
  DriverType type;
  type.description = "test: Sets meet inside the driver";
  type.open = [](const StoreSpec&) -> absl::StatusOr<std::unique_ptr<Driver>> {
    return std::make_unique<RendezvousDriver>();
  };
  type.write_threads = kConcurrentWrites;
  return RegisterDriverType("rendezvous", std::move(type));
}();

TEST(WritePoolTest, WritesRunConcurrentlyBeyondTheStoresWorkerThreads) {
  StoreSpec spec;
  spec.name = "default";
  spec.type = "rendezvous";
  StoreCatalog catalog({spec});
  catalog.OpenAll();
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.worker_threads = 1;
  absl::StatusOr<std::unique_ptr<KvServer>> server =
      KvServer::Start(options, &catalog);
  ASSERT_TRUE(server.ok()) << server.status();

  auto stub = v1::KeyValue::NewStub(grpc::CreateChannel(
      (*server)->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext open_context;
  v1::OpenRequest open;
  open.set_name("default");
  v1::OpenResponse opened;
  ASSERT_TRUE(stub->Open(&open_context, open, &opened).ok());

  std::vector<grpc::Status> results(kConcurrentWrites);
  std::vector<std::thread> writers;
  for (int i = 0; i < kConcurrentWrites; ++i) {
    writers.emplace_back([&, i] {
      grpc::ClientContext context;
      v1::SetRequest set;
      set.set_store(opened.store());
      set.set_key(absl::StrCat("k", i));
      set.set_value("v");
      v1::SetResponse response;
      results[i] = stub->Set(&context, set, &response);
    });
  }
  for (std::thread& writer : writers) writer.join();
  for (const grpc::Status& result : results) {
    EXPECT_TRUE(result.ok()) << result.error_message();
  }
  (*server)->Shutdown(absl::Seconds(5));
  catalog.CloseAll();
}

}  // namespace
}  // namespace kv
