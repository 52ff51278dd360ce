// The README's example: run it against a kvd (tools/run.sh) with
//   bazel run //clients/cpp:example
#include <iostream>

#include "clients/cpp/store.h"

int main() {
  absl::StatusOr<kvd::Store> store = kvd::Store::OpenDefault();
  if (!store.ok()) return std::cerr << store.status() << "\n", 1;
  if (absl::Status s = store->Set("greeting", "hello"); !s.ok()) return 1;
  std::cout << *store->Get("greeting") << "\n";
  absl::StatusOr<std::string> missing = store->Get("nope");
  if (kvd::IsNoSuchKey(missing.status())) std::cout << "nope is missing\n";
  return 0;
}
