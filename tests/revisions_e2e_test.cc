// Revisions across kvd restarts on the default SQLite store, through the real
// binary: after kvd stops (SIGTERM) or dies (SIGKILL) and starts again on the
// same data, every key keeps exactly its revision, the store's revision is
// where it was (even when the last write was a delete, which no key
// remembers), every new write is above every revision given before, and a
// condition on a revision read before the restart still holds.

#include <signal.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"

namespace kv::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kRestarts = 3;

class RevisionsAcrossRestartTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    const std::string dir =
        NewTempDir(absl::StrCat("revisions_restart_", GetParam()));
    // No drain delay: it is for load balancers, and would only slow the
    // SIGTERM restarts down.
    args_ = {"--listen=127.0.0.1:0", "--data-dir=" + dir, "--log-level=warn",
             "--drain-delay=0s"};
    Start();
  }

  void Start() {
    auto kvd = KvdProcess::Start(args_);
    ASSERT_TRUE(kvd.ok()) << kvd.status();
    kvd_ = *std::move(kvd);
    client_ = std::make_unique<KvTestClient>(kvd_->NewChannel());
    CallResult open = client_->Open("default", &store_);
    ASSERT_TRUE(open.ok()) << open.status.error_message();
  }

  // Stops kvd with the test's signal and starts it again on the same data.
  void Restart() {
    client_.reset();
    absl::StatusOr<int> code = kvd_->Stop(GetParam(), absl::Seconds(30));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, GetParam() == SIGKILL ? 128 + SIGKILL : 0);
    kvd_.reset();
    Start();
  }

  uint64_t StoreRevision() {
    v1::DescribeResponse description;
    CallResult described = client_->Describe(store_, &description);
    EXPECT_TRUE(described.ok()) << described.status.error_message();
    return description.revision();
  }

  uint64_t RevisionOf(const std::string& key) {
    uint64_t revision = 0;
    CallResult get = client_->Get(store_, key, nullptr, &revision);
    EXPECT_TRUE(get.ok()) << key << ": " << get.status.error_message();
    return revision;
  }

  std::vector<std::string> args_;
  std::unique_ptr<KvdProcess> kvd_;
  std::unique_ptr<KvTestClient> client_;
  uint32_t store_ = 0;
};

TEST_P(RevisionsAcrossRestartTest,
       RevisionsGrowAndConditionsHoldAcrossRestarts) {
  // Before the first restart: keys of every kind of write.
  uint64_t kept = 0;
  ASSERT_TRUE(client_->Set(store_, "kept", "k0", std::nullopt, &kept).ok());
  int64_t count = 0;
  uint64_t counted = 0;
  ASSERT_TRUE(client_->Increment(store_, "counter", 5, &count, &counted).ok());
  std::vector<uint64_t> batch;
  ASSERT_TRUE(
      client_
          ->SetMany(store_,
                    {MakeSetEntry("stale", "s0"), MakeSetEntry("gone", "g0")},
                    &batch)
          .ok());
  uint64_t stale_before = batch[0];
  uint64_t stale_now = 0;
  ASSERT_TRUE(
      client_->Set(store_, "stale", "s1", stale_before, &stale_now).ok());
  uint64_t deleted = 0;
  ASSERT_TRUE(client_->Delete(store_, "gone", batch[1], &deleted).ok());
  // The delete is the last write: only the store remembers its revision.
  uint64_t highest = deleted;
  ASSERT_EQ(StoreRevision(), highest);

  for (int restart = 1; restart <= kRestarts; ++restart) {
    SCOPED_TRACE(absl::StrCat("after restart ", restart));
    Restart();
    if (HasFatalFailure()) return;

    // Nothing moved: the store's revision and each key's.
    EXPECT_EQ(StoreRevision(), highest);
    EXPECT_EQ(RevisionOf("kept"), kept);
    EXPECT_EQ(RevisionOf("counter"), counted);
    EXPECT_EQ(RevisionOf("stale"), stale_now);
    bool exists = true;
    ASSERT_TRUE(client_->Exists(store_, "gone", &exists).ok());
    EXPECT_FALSE(exists);

    // A revision read before the restart is still the key's: its condition
    // holds, and the write is above everything given before.
    uint64_t next = 0;
    CallResult set =
        client_->Set(store_, "kept", absl::StrCat("k", restart), kept, &next);
    ASSERT_TRUE(set.ok()) << set.status.error_message();
    EXPECT_GT(next, highest);
    kept = highest = next;

    // One read before the last change is stale, restart or not.
    CallResult refused =
        client_->Set(store_, "stale", "lost", stale_before, nullptr);
    EXPECT_EQ(refused.status.error_code(), grpc::ABORTED)
        << refused.status.error_message();
    EXPECT_EQ(refused.error_code, v1::ERROR_CODE_CONDITION_FAILED);
    EXPECT_EQ(refused.current_revision, stale_now);
    EXPECT_THAT(refused.status.error_message(),
                HasSubstr(absl::StrCat("key \"stale\" was expected at "
                                       "revision ",
                                       stale_before, ", but it is at revision ",
                                       stale_now)));
    stale_before = stale_now;
    ASSERT_TRUE(client_
                    ->Set(store_, "stale", absl::StrCat("s", restart + 1),
                          stale_now, &stale_now)
                    .ok());
    EXPECT_GT(stale_now, highest);
    highest = stale_now;

    // The counter goes on from its value, above every revision.
    int64_t value = 0;
    ASSERT_TRUE(
        client_->Increment(store_, "counter", 1, &value, &counted).ok());
    EXPECT_EQ(value, count + 1);
    count = value;
    EXPECT_GT(counted, highest);
    highest = counted;

    // The deleted key is created again (create-only) above all of them, and
    // deleted again, so the store's highest revision is a delete's once more.
    uint64_t created = 0;
    ASSERT_TRUE(client_->Set(store_, "gone", "again", 0, &created).ok());
    EXPECT_GT(created, highest);
    ASSERT_TRUE(client_->Delete(store_, "gone", created, &deleted).ok());
    EXPECT_GT(deleted, created);
    highest = deleted;
    EXPECT_EQ(StoreRevision(), highest);
  }
}

INSTANTIATE_TEST_SUITE_P(Signals, RevisionsAcrossRestartTest,
                         ::testing::Values(SIGTERM, SIGKILL),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == SIGKILL ? "sigkill" : "sigterm";
                         });

}  // namespace
}  // namespace kv::testing
