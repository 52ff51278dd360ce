#include "tools/kvctl/store_session.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "clients/cpp/error_code.h"
#include "clients/cpp/fake_key_value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv::kvctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class StoreSessionTest : public ::testing::Test {
 protected:
  StoreSession OpenDefault() {
    absl::StatusOr<StoreSession> session =
        StoreSession::Open(server_.channel(), "default", kvd::Options());
    EXPECT_TRUE(session.ok()) << session.status();
    return *std::move(session);
  }

  kvd::FakeKeyValueServer server_;
};

TEST_F(StoreSessionTest, SetGetDeleteRoundTrip) {
  StoreSession session = OpenDefault();
  const std::string binary("a\0b\xff", 4);
  ASSERT_TRUE(session.Set("k", binary).ok());
  absl::StatusOr<std::string> value = session.Get("k");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, binary);
  EXPECT_EQ(*session.Exists("k"), true);
  ASSERT_TRUE(session.Delete("k").ok());
  EXPECT_EQ(*session.Exists("k"), false);
}

TEST_F(StoreSessionTest, RevisionsAndConditions) {
  StoreSession session = OpenDefault();
  absl::StatusOr<uint64_t> written = session.SetIf("k", "v", std::nullopt);
  ASSERT_TRUE(written.ok()) << written.status();
  absl::StatusOr<kvd::Versioned> entry = session.GetEntry("k");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->revision, *written);
  absl::Status stale = session.SetIf("k", "w", *written + 1).status();
  EXPECT_EQ(kvd::ErrorCodeOf(stale), v1::ERROR_CODE_CONDITION_FAILED);
  EXPECT_EQ(kvd::CurrentRevisionOf(stale), *written);
  EXPECT_THAT(stale.message(),
              HasSubstr("set \"k\" in store \"default\" if at revision 2: "
                        "CONDITION_FAILED"));
  EXPECT_THAT(std::string(stale.message()),
              ::testing::EndsWith("; current revision 1"));
  absl::StatusOr<kvd::Counter> counter = session.Increment("n", -2);
  ASSERT_TRUE(counter.ok()) << counter.status();
  EXPECT_EQ(counter->value, -2);
  absl::StatusOr<kvd::StoreInfo> info = session.Describe();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->revision, counter->revision);
}

TEST_F(StoreSessionTest, GetKeysListsEveryKey) {
  StoreSession session = OpenDefault();
  ASSERT_TRUE(session.Set("b", "2").ok());
  ASSERT_TRUE(session.Set("a", "1").ok());
  absl::StatusOr<std::vector<std::string>> keys = session.GetKeys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT(*keys, ElementsAre("a", "b"));
}

TEST_F(StoreSessionTest, MissingKeyCarriesNoSuchKeyAndNamesIt) {
  StoreSession session = OpenDefault();
  absl::StatusOr<std::string> value = session.Get("nope");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(kvd::ErrorCodeOf(value.status()), v1::ERROR_CODE_NO_SUCH_KEY);
  EXPECT_THAT(value.status().message(),
              HasSubstr("get \"nope\" from store \"default\": NO_SUCH_KEY"));
  EXPECT_THAT(value.status().message(), HasSubstr("(NOT_FOUND)"));
}

TEST_F(StoreSessionTest, OpenOfUnknownStoreFailsWithNoSuchStore) {
  absl::StatusOr<StoreSession> session =
      StoreSession::Open(server_.channel(), "x", kvd::Options());
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(kvd::ErrorCodeOf(session.status()), v1::ERROR_CODE_NO_SUCH_STORE);
  EXPECT_THAT(session.status().message(),
              HasSubstr("open store \"x\": NO_SUCH_STORE"));
}

TEST_F(StoreSessionTest, DestructorClosesTheHandle) {
  {
    StoreSession session = OpenDefault();
    EXPECT_EQ(server_.service().open_handles(), 1);
  }
  EXPECT_EQ(server_.service().open_handles(), 0);
  EXPECT_EQ(server_.service().close_calls(), 1);
}

TEST_F(StoreSessionTest, CloseIsIdempotentAndMovedFromDoesNotClose) {
  StoreSession first = OpenDefault();
  StoreSession second = std::move(first);
  ASSERT_TRUE(second.Close().ok());
  ASSERT_TRUE(second.Close().ok());
  EXPECT_EQ(server_.service().open_handles(), 0);
  EXPECT_EQ(server_.service().close_calls(), 1);
}

TEST_F(StoreSessionTest, CallsAfterCloseFailWithInvalidStore) {
  StoreSession session = OpenDefault();
  ASSERT_TRUE(session.Close().ok());
  absl::Status status = session.Set("k", "v");
  EXPECT_EQ(kvd::ErrorCodeOf(status), v1::ERROR_CODE_INVALID_STORE);
}

kvd::Options Timeout(absl::Duration timeout) {
  kvd::Options options;
  options.timeout = timeout;
  return options;
}

// gRPC's clock is coarser than absl::Now(), hence the slack.
void ExpectDeadlineNear(absl::Time deadline, absl::Time start,
                        absl::Duration timeout) {
  EXPECT_GE(deadline, start + timeout - absl::Milliseconds(100));
  EXPECT_LE(deadline, absl::Now() + timeout + absl::Milliseconds(100));
}

TEST_F(StoreSessionTest, EveryCallGetsTheTimeoutAsDeadline) {
  const absl::Duration timeout = absl::Seconds(30);
  absl::Time start = absl::Now();
  absl::StatusOr<StoreSession> session =
      StoreSession::Open(server_.channel(), "default", Timeout(timeout));
  ASSERT_TRUE(session.ok()) << session.status();
  ExpectDeadlineNear(server_.service().last_deadline(), start, timeout);

  absl::SleepFor(absl::Milliseconds(300));
  start = absl::Now();
  ASSERT_TRUE(session->Set("k", "v").ok());
  ExpectDeadlineNear(server_.service().last_deadline(), start, timeout);
}

TEST_F(StoreSessionTest, TransportErrorHasNoErrorCode) {
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"), "");
  absl::StatusOr<StoreSession> session =
      StoreSession::Open(server_.channel(), "default", kvd::Options());
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(kvd::ErrorCodeOf(session.status()), v1::ERROR_CODE_UNSPECIFIED);
}

}  // namespace
}  // namespace kv::kvctl
