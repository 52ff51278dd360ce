#include "clients/cpp/update_retry.h"

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "clients/cpp/error_code.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvd::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

absl::Status Conflict(uint64_t current) {
  absl::Status status = absl::AbortedError("CONDITION_FAILED: conflict at " +
                                           std::to_string(current));
  AttachErrorCode(status, kv::v1::ERROR_CODE_CONDITION_FAILED);
  AttachCurrentRevision(status, current);
  return status;
}

// A scripted key: each read returns the next of `reads` (the last one
// repeats), each write the next of `writes`. Records every step.
struct Script {
  std::deque<absl::StatusOr<UpdateRead>> reads;
  std::deque<absl::StatusOr<uint64_t>> writes;
  double random = 0.5;

  int read_calls = 0;
  std::vector<std::pair<std::string, uint64_t>> written;  // value, if_revision
  std::vector<absl::Duration> sleeps;

  absl::StatusOr<UpdateRead> Read() {
    ++read_calls;
    absl::StatusOr<UpdateRead> read = reads.front();
    if (reads.size() > 1) reads.pop_front();
    return read;
  }
  absl::StatusOr<uint64_t> Write(const std::string& value, uint64_t revision) {
    written.emplace_back(value, revision);
    absl::StatusOr<uint64_t> result = writes.front();
    if (writes.size() > 1) writes.pop_front();
    return result;
  }

  UpdateSteps Steps() {
    UpdateSteps steps;
    steps.read = [this] { return Read(); };
    steps.write = [this](const std::string& value, uint64_t revision) {
      return Write(value, revision);
    };
    steps.sleep = [this](absl::Duration delay) { sleeps.push_back(delay); };
    steps.random = [this] { return random; };
    return steps;
  }

  // The same script on callbacks, each step finishing inline.
  AsyncUpdateSteps AsyncSteps() {
    AsyncUpdateSteps steps;
    steps.read = [this](auto then) { then(Read()); };
    steps.write = [this](std::string value, uint64_t revision, auto then) {
      then(Write(value, revision));
    };
    steps.schedule = [this](absl::Duration delay, std::function<void()> then) {
      sleeps.push_back(delay);
      then();
    };
    steps.random = [this] { return random; };
    return steps;
  }
};

// Appends "!" to the value; "start" when absent. Counts its calls.
struct Exclaim {
  int* calls;
  absl::StatusOr<std::string> operator()(
      const std::optional<std::string>& current) const {
    ++*calls;
    return current.has_value() ? *current + "!" : "start";
  }
};

// RunUpdateAsync, waiting for its (inline) result.
absl::StatusOr<uint64_t> RunAsync(Script& script, UpdateFunction fn,
                                  int max_attempts) {
  std::optional<absl::StatusOr<uint64_t>> result;
  int done_calls = 0;
  RunUpdateAsync(script.AsyncSteps(), std::move(fn), max_attempts,
                 [&](absl::StatusOr<uint64_t> r) {
                   ++done_calls;
                   result = std::move(r);
                 });
  EXPECT_EQ(done_calls, 1);
  return result.value_or(absl::InternalError("done never ran"));
}

TEST(UpdateBackoffTest, CapDoublesFromTenMillisecondsToOneSecond) {
  std::vector<absl::Duration> caps;
  for (int retry = 1; retry <= 10; ++retry) {
    caps.push_back(UpdateBackoffCap(retry));
  }
  EXPECT_THAT(caps,
              ElementsAre(absl::Milliseconds(10), absl::Milliseconds(20),
                          absl::Milliseconds(40), absl::Milliseconds(80),
                          absl::Milliseconds(160), absl::Milliseconds(320),
                          absl::Milliseconds(640), absl::Seconds(1),
                          absl::Seconds(1), absl::Seconds(1)));
  EXPECT_EQ(UpdateBackoffCap(1000000), absl::Seconds(1));
}

TEST(UpdateBackoffTest, FullJitterScalesTheCap) {
  EXPECT_EQ(UpdateBackoff(1, 0.0), absl::ZeroDuration());
  EXPECT_EQ(UpdateBackoff(1, 0.5), absl::Milliseconds(5));
  EXPECT_EQ(UpdateBackoff(3, 0.25), absl::Milliseconds(10));
  EXPECT_EQ(UpdateBackoff(20, 0.5), absl::Milliseconds(500));
}

TEST(UniformRandomTest, StaysInTheUnitInterval) {
  for (int i = 0; i < 1000; ++i) {
    const double u = UniformRandom();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

TEST(RunUpdateTest, AbsentKeyIsWrittenCreateOnly) {
  Script script;
  script.reads = {UpdateRead{}};
  script.writes = {uint64_t{7}};
  int calls = 0;
  EXPECT_EQ(*RunUpdate(script.Steps(), Exclaim{&calls}, 10), 7u);
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(script.written, ElementsAre(std::make_pair("start", 0u)));
  EXPECT_THAT(script.sleeps, IsEmpty());
}

TEST(RunUpdateTest, PresentKeyIsWrittenAtItsRevision) {
  Script script;
  script.reads = {UpdateRead{"start", 7}};
  script.writes = {uint64_t{9}};
  int calls = 0;
  EXPECT_EQ(*RunUpdate(script.Steps(), Exclaim{&calls}, 10), 9u);
  EXPECT_THAT(script.written, ElementsAre(std::make_pair("start!", 7u)));
}

TEST(RunUpdateTest, ConflictsAreRetriedAfterJitteredBackoff) {
  Script script;
  script.reads = {UpdateRead{"a", 1}, UpdateRead{"b", 2}, UpdateRead{"c", 3}};
  script.writes = {Conflict(2), Conflict(3), uint64_t{4}};
  script.random = 0.5;
  int calls = 0;
  EXPECT_EQ(*RunUpdate(script.Steps(), Exclaim{&calls}, 10), 4u);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(script.read_calls, 3);
  EXPECT_THAT(script.written,
              ElementsAre(std::make_pair("a!", 1u), std::make_pair("b!", 2u),
                          std::make_pair("c!", 3u)));
  // Half of 10 ms, then half of 20 ms.
  EXPECT_THAT(script.sleeps,
              ElementsAre(absl::Milliseconds(5), absl::Milliseconds(10)));
}

TEST(RunUpdateTest, GivesUpAfterMaxAttemptsWithTheLastConflict) {
  Script script;
  script.reads = {UpdateRead{"a", 1}};
  script.writes = {Conflict(2), Conflict(3), Conflict(4), Conflict(5),
                   uint64_t{99}};
  script.random = 1.0;
  int calls = 0;
  absl::StatusOr<uint64_t> result =
      RunUpdate(script.Steps(), Exclaim{&calls}, 4);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ErrorCodeOf(result.status()), kv::v1::ERROR_CODE_CONDITION_FAILED);
  EXPECT_EQ(CurrentRevisionOf(result.status()), 5u);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(script.written.size(), 4u);
  // No sleep after the last attempt.
  EXPECT_THAT(script.sleeps,
              ElementsAre(absl::Milliseconds(10), absl::Milliseconds(20),
                          absl::Milliseconds(40)));
}

TEST(RunUpdateTest, OneAttemptNeverSleeps) {
  Script script;
  script.reads = {UpdateRead{"a", 1}};
  script.writes = {Conflict(2)};
  int calls = 0;
  EXPECT_EQ(ErrorCodeOf(RunUpdate(script.Steps(), Exclaim{&calls}, 1).status()),
            kv::v1::ERROR_CODE_CONDITION_FAILED);
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(script.sleeps, IsEmpty());
}

TEST(RunUpdateTest, AnErrorFromTheFunctionEndsItWithoutAWrite) {
  Script script;
  script.reads = {UpdateRead{"a", 1}};
  script.writes = {uint64_t{2}};
  absl::StatusOr<uint64_t> result = RunUpdate(
      script.Steps(),
      [](const std::optional<std::string>&) -> absl::StatusOr<std::string> {
        return absl::FailedPreconditionError("not a counter");
      },
      10);
  EXPECT_EQ(result.status(), absl::FailedPreconditionError("not a counter"));
  EXPECT_THAT(script.written, IsEmpty());
  EXPECT_THAT(script.sleeps, IsEmpty());
}

TEST(RunUpdateTest, OtherErrorsAreNotRetried) {
  Script read_fails;
  read_fails.reads = {absl::UnavailableError("down")};
  read_fails.writes = {uint64_t{2}};
  int calls = 0;
  EXPECT_TRUE(absl::IsUnavailable(
      RunUpdate(read_fails.Steps(), Exclaim{&calls}, 10).status()));
  EXPECT_EQ(calls, 0);
  EXPECT_THAT(read_fails.written, IsEmpty());

  Script write_fails;
  write_fails.reads = {UpdateRead{"a", 1}};
  write_fails.writes = {absl::UnavailableError("down"), uint64_t{2}};
  EXPECT_TRUE(absl::IsUnavailable(
      RunUpdate(write_fails.Steps(), Exclaim{&calls}, 10).status()));
  EXPECT_EQ(write_fails.written.size(), 1u);
  EXPECT_THAT(write_fails.sleeps, IsEmpty());

  // ABORTED without kvd's CONDITION_FAILED is not a conflict.
  Script aborted;
  aborted.reads = {UpdateRead{"a", 1}};
  aborted.writes = {absl::AbortedError("proxy gave up"), uint64_t{2}};
  EXPECT_TRUE(absl::IsAborted(
      RunUpdate(aborted.Steps(), Exclaim{&calls}, 10).status()));
  EXPECT_EQ(aborted.written.size(), 1u);
}

TEST(RunUpdateTest, MaxAttemptsBelowOneIsInvalid) {
  Script script;
  script.reads = {UpdateRead{}};
  script.writes = {uint64_t{1}};
  int calls = 0;
  absl::StatusOr<uint64_t> result =
      RunUpdate(script.Steps(), Exclaim{&calls}, 0);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("max_attempts must be at least 1, got 0"));
  EXPECT_EQ(script.read_calls, 0);
}

TEST(RunUpdateAsyncTest, ConflictsAreRetriedAfterJitteredBackoff) {
  Script script;
  script.reads = {UpdateRead{}, UpdateRead{"x", 5}};
  script.writes = {Conflict(5), uint64_t{6}};
  script.random = 0.25;
  int calls = 0;
  EXPECT_EQ(*RunAsync(script, Exclaim{&calls}, 10), 6u);
  EXPECT_EQ(calls, 2);
  EXPECT_THAT(script.written, ElementsAre(std::make_pair("start", 0u),
                                          std::make_pair("x!", 5u)));
  EXPECT_THAT(script.sleeps, ElementsAre(absl::Microseconds(2500)));
}

TEST(RunUpdateAsyncTest, GivesUpAfterMaxAttemptsWithTheLastConflict) {
  Script script;
  script.reads = {UpdateRead{"a", 1}};
  script.writes = {Conflict(2), Conflict(3), Conflict(4)};
  script.random = 1.0;
  int calls = 0;
  absl::StatusOr<uint64_t> result = RunAsync(script, Exclaim{&calls}, 3);
  EXPECT_EQ(CurrentRevisionOf(result.status()), 4u);
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(script.sleeps,
              ElementsAre(absl::Milliseconds(10), absl::Milliseconds(20)));
}

TEST(RunUpdateAsyncTest, ErrorsEndItAtOnce) {
  Script script;
  script.reads = {UpdateRead{"a", 1}};
  script.writes = {uint64_t{2}};
  absl::StatusOr<uint64_t> result = RunAsync(
      script,
      [](const std::optional<std::string>&) -> absl::StatusOr<std::string> {
        return absl::CancelledError("no");
      },
      10);
  EXPECT_TRUE(absl::IsCancelled(result.status()));
  EXPECT_THAT(script.written, IsEmpty());

  Script write_fails;
  write_fails.reads = {UpdateRead{"a", 1}};
  write_fails.writes = {absl::UnavailableError("down")};
  int calls = 0;
  EXPECT_TRUE(
      absl::IsUnavailable(RunAsync(write_fails, Exclaim{&calls}, 10).status()));
  EXPECT_THAT(write_fails.sleeps, IsEmpty());
}

TEST(RunUpdateAsyncTest, MaxAttemptsBelowOneIsInvalid) {
  Script script;
  script.reads = {UpdateRead{}};
  script.writes = {uint64_t{1}};
  int calls = 0;
  EXPECT_EQ(RunAsync(script, Exclaim{&calls}, -1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(script.read_calls, 0);
}

}  // namespace
}  // namespace kvd::internal
