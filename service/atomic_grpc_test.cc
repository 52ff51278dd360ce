// The new operations over real gRPC, through the nonblocking write path of
// a memory store: the metadata a failed condition or batch entry carries,
// and increments from many concurrent calls.

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "kv/v1/kv.grpc.pb.h"
#include "service/one_store_server.h"

namespace kv {
namespace {

using ::testing::HasSubstr;

// The value of the trailing metadata entry `key`, or "" if absent.
std::string Trailer(const grpc::ClientContext& context,
                    const std::string& key) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(key);
  if (it == trailers.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

class AtomicGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<OneStoreServer>> server =
        OneStoreServer::Start("memory");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  uint64_t Set(const std::string& key, const std::string& value) {
    grpc::ClientContext context;
    v1::SetRequest request;
    request.set_store(server_->handle());
    request.set_key(key);
    request.set_value(value);
    v1::SetResponse response;
    grpc::Status status = server_->stub().Set(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.revision();
  }

  std::unique_ptr<OneStoreServer> server_;
};

TEST_F(AtomicGrpcTest, FailedConditionCarriesTheCurrentRevision) {
  uint64_t first = Set("k", "1");
  uint64_t second = Set("k", "2");
  grpc::ClientContext context;
  v1::SetRequest request;
  request.set_store(server_->handle());
  request.set_key("k");
  request.set_value("3");
  request.set_if_revision(first);
  v1::SetResponse response;
  grpc::Status status = server_->stub().Set(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(status.error_message(), HasSubstr("CONDITION_FAILED"));
  EXPECT_EQ(Trailer(context, "kv-error-code"), "ERROR_CODE_CONDITION_FAILED");
  EXPECT_EQ(Trailer(context, "kv-current-revision"), absl::StrCat(second));
  EXPECT_EQ(Trailer(context, "kv-failed-index"), "");
}

TEST_F(AtomicGrpcTest, FailedBatchEntryCarriesItsIndex) {
  Set("present", "v");
  grpc::ClientContext context;
  v1::SetManyRequest request;
  request.set_store(server_->handle());
  for (const char* key : {"a", "b", "present"}) {
    v1::SetEntry* entry = request.add_entries();
    entry->set_key(key);
    entry->set_value("new");
    entry->set_if_revision(0);
  }
  v1::SetManyResponse response;
  grpc::Status status = server_->stub().SetMany(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Trailer(context, "kv-failed-index"), "2");
  EXPECT_NE(Trailer(context, "kv-current-revision"), "0");
  EXPECT_THAT(status.error_message(), HasSubstr("\"present\""));
}

TEST_F(AtomicGrpcTest, NotAnIntegerHasItsOwnCode) {
  Set("text", "abc");
  grpc::ClientContext context;
  v1::IncrementRequest request;
  request.set_store(server_->handle());
  request.set_key("text");
  request.set_delta(1);
  v1::IncrementResponse response;
  grpc::Status status = server_->stub().Increment(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Trailer(context, "kv-error-code"), "ERROR_CODE_NOT_AN_INTEGER");
}

TEST_F(AtomicGrpcTest, ConcurrentIncrementsCountExactly) {
  constexpr int kClients = 8;
  constexpr int kIncrements = 250;
  absl::Mutex mutex;
  std::set<int64_t> values;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        grpc::ClientContext context;
        v1::IncrementRequest request;
        request.set_store(server_->handle());
        request.set_key("counter");
        request.set_delta(1);
        v1::IncrementResponse response;
        grpc::Status status =
            server_->stub().Increment(&context, request, &response);
        ASSERT_TRUE(status.ok()) << status.error_message();
        absl::MutexLock lock(&mutex);
        values.insert(response.value());
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(values.size(), static_cast<size_t>(kClients * kIncrements));
  grpc::ClientContext context;
  v1::GetRequest request;
  request.set_store(server_->handle());
  request.set_key("counter");
  v1::GetResponse response;
  ASSERT_TRUE(server_->stub().Get(&context, request, &response).ok());
  EXPECT_EQ(response.value(), absl::StrCat(kClients * kIncrements));
}

}  // namespace
}  // namespace kv
