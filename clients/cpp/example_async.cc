// The README's async example: run it against a kvd (tools/run.sh) with
//   bazel run //clients/cpp:example_async
#include <future>
#include <iostream>

#include "clients/cpp/store.h"

int main() {
  absl::StatusOr<kvd::Store> store = kvd::Store::OpenDefault();
  if (!store.ok()) return std::cerr << store.status() << "\n", 1;
  std::promise<absl::Status> set;
  store->SetAsync("greeting", "hello, async",
                  [&](absl::Status status) { set.set_value(status); });
  if (!set.get_future().get().ok()) return 1;
  // This call's deadline: 500 ms instead of the store's 10 s.
  kvd::CallOptions quick;
  quick.timeout = absl::Milliseconds(500);
  std::promise<void> printed;
  store->GetAsync(
      "greeting",
      [&](absl::StatusOr<std::string> value) {
        std::cout << (value.ok() ? *value : value.status().ToString()) << "\n";
        printed.set_value();
      },
      quick);
  printed.get_future().wait();
  return store->Close().ok() ? 0 : 1;
}
