#include "clients/cpp/timer.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace kvd::internal {
namespace {

TEST(RunAfterTest, RunsTheWorkOnTheTimerThread) {
  absl::Notification ran;
  std::thread::id ran_on;
  RunAfter(absl::Milliseconds(1), [&] {
    ran_on = std::this_thread::get_id();
    ran.Notify();
  });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(RunAfterTest, RunsEveryWorkOnceFromManyThreads) {
  constexpr int kThreads = 4, kEach = 50;
  absl::BlockingCounter done(kThreads * kEach);
  std::atomic<int> runs{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        RunAfter(absl::Microseconds((t * kEach + i) % 7), [&] {
          ++runs;
          done.DecrementCount();
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  done.Wait();
  EXPECT_EQ(runs.load(), kThreads * kEach);
}

}  // namespace
}  // namespace kvd::internal
