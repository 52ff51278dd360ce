// The app container of the simulated pod (tests/pod/pod_test.sh): a program
// that keeps its data in the kvd sidecar through the C++ client, kvd::Store.
//
//   pod_app write ADDR ACK_FILE
//     Four threads Set unique keys ("w<thread>-<n>", value "value of <key>")
//     as fast as kvd answers, and append each acknowledged key to ACK_FILE.
//     On SIGTERM (the kubelet stops the app and kvd together) the app goes on
//     for --linger (1 s, its own in-flight requests finishing), then stops.
//     Prints "in flight at SIGTERM: N", "acknowledged after SIGTERM: N",
//     "last acknowledged at: <unix time ns>" and "failed: N" with each
//     failure; exits 0 only if no call failed.
//   pod_app verify ADDR ACK_FILE
//     Gets every key of ACK_FILE and checks its value; exits 0 if all match.

#include <signal.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cpp/store.h"

namespace {

constexpr int kWriters = 4;
constexpr absl::Duration kLinger = absl::Seconds(1);

std::string ValueOf(const std::string& key) {
  return absl::StrCat("value of ", key);
}

int Write(const std::string& address, const std::string& ack_path) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, nullptr);

  std::atomic<bool> stop{false};
  std::atomic<bool> terminating{false};
  std::atomic<int> in_flight{0};
  std::atomic<int> acknowledged_after_term{0};
  std::atomic<int> failed{0};
  std::atomic<int64_t> last_ack_ns{0};
  absl::Mutex mutex;
  std::ofstream acks(ack_path, std::ios::app);

  kvd::Options options;
  options.address = address;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      absl::StatusOr<kvd::Store> store = kvd::Store::OpenDefault(options);
      if (!store.ok()) {
        ++failed;
        std::printf("FAIL open: %s\n", store.status().ToString().c_str());
        return;
      }
      for (int i = 0; !stop.load(); ++i) {
        const std::string key = absl::StrCat("w", w, "-", i);
        ++in_flight;
        const absl::Status status = store->Set(key, ValueOf(key));
        --in_flight;
        if (!status.ok()) {
          ++failed;
          std::printf("FAIL %s: %s\n", key.c_str(), status.ToString().c_str());
          return;
        }
        last_ack_ns = absl::ToUnixNanos(absl::Now());
        if (terminating.load()) ++acknowledged_after_term;
        absl::MutexLock lock(&mutex);
        acks << key << "\n" << std::flush;
      }
    });
  }
  std::printf("writing\n");
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&term, &signal_number);
  const int in_flight_at_term = in_flight.load();
  terminating = true;
  absl::SleepFor(kLinger);
  stop = true;
  for (std::thread& writer : writers) writer.join();
  std::printf("in flight at SIGTERM: %d\n", in_flight_at_term);
  std::printf("acknowledged after SIGTERM: %d\n",
              acknowledged_after_term.load());
  std::printf("last acknowledged at: %lld\n",
              static_cast<long long>(last_ack_ns.load()));
  std::printf("failed: %d\n", failed.load());
  return failed.load() == 0 ? 0 : 1;
}

int Verify(const std::string& address, const std::string& ack_path) {
  kvd::Options options;
  options.address = address;
  absl::StatusOr<kvd::Store> store = kvd::Store::OpenDefault(options);
  if (!store.ok()) {
    std::printf("FAIL open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  std::ifstream acks(ack_path);
  int checked = 0;
  int wrong = 0;
  for (std::string key; std::getline(acks, key);) {
    absl::StatusOr<std::string> value = store->Get(key);
    if (!value.ok() || *value != ValueOf(key)) {
      ++wrong;
      std::printf("FAIL %s: %s\n", key.c_str(),
                  value.ok() ? ("wrong value: " + *value).c_str()
                             : value.status().ToString().c_str());
    }
    ++checked;
  }
  std::printf("verified: %d, wrong or missing: %d\n", checked, wrong);
  return wrong == 0 && checked > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "write")
    return Write(argv[2], argv[3]);
  if (argc == 4 && std::string(argv[1]) == "verify") {
    return Verify(argv[2], argv[3]);
  }
  std::fprintf(stderr, "usage: pod_app write|verify ADDR ACK_FILE\n");
  return 2;
}
