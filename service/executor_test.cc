#include "service/executor.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace kv {
namespace {

TEST(ExecutorTest, RunsEveryTaskBeforeDestructionReturns) {
  std::atomic<int> ran{0};
  {
    Executor executor(4);
    for (int i = 0; i < 1000; ++i) executor.Schedule([&ran] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 1000);
}

TEST(ExecutorTest, RunsTasksConcurrently) {
  Executor executor(2);
  absl::Notification first_started, second_done;
  executor.Schedule([&] {
    first_started.Notify();
    // Finishes only if the second task runs on another thread meanwhile.
    second_done.WaitForNotification();
  });
  executor.Schedule([&] {
    first_started.WaitForNotification();
    second_done.Notify();
  });
  second_done.WaitForNotification();
}

}  // namespace
}  // namespace kv
