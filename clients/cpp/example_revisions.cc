// The README's revisions example: run it against a kvd (tools/run.sh) with
//   bazel run //clients/cpp:example_revisions
#include <iostream>

#include "clients/cpp/store.h"

int main() {
  absl::StatusOr<kvd::Store> store = kvd::Store::OpenDefault();
  if (!store.ok()) return std::cerr << store.status() << "\n", 1;
  // A counter: atomic however many clients add to it at once.
  absl::StatusOr<kvd::Counter> visits = store->Increment("visits");
  if (!visits.ok()) return std::cerr << visits.status() << "\n", 1;
  std::cout << "visits: " << visits->value << "\n";

  // Compare-and-swap: write only if nobody wrote since the read.
  if (!store->Set("config", "v1").ok()) return 1;
  absl::StatusOr<kvd::Versioned> config = store->GetEntry("config");
  if (!config.ok()) return 1;
  if (!store->SetIf("config", "v2", config->revision).ok()) return 1;
  absl::Status stale = store->SetIf("config", "v3", config->revision).status();
  if (kvd::IsConditionFailed(stale)) {
    std::cout << "config is now at revision "
              << kvd::CurrentRevisionOf(stale).value_or(0) << "\n";
  }

  // Read-modify-write, retried on conflict.
  absl::StatusOr<uint64_t> updated =
      store->Update("greeting",
                    [](const std::optional<std::string>& value)
                        -> absl::StatusOr<std::string> {
                      return value.value_or("hi") + "!";
                    });
  if (!updated.ok()) return std::cerr << updated.status() << "\n", 1;
  std::cout << *store->Get("greeting") << "\n";
  return store->Close().ok() ? 0 : 1;
}
