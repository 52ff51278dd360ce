#ifndef KV_TESTS_KVD_PROCESS_H_
#define KV_TESTS_KVD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace kv::testing {

// A real kvd server process for end-to-end tests.
//
// Start runs the kvd binary from the test's runfiles with `args` and waits
// for its "kvd listening on ADDR" line. The destructor kills the process if
// it is still running.
class KvdProcess {
 public:
  static absl::StatusOr<std::unique_ptr<KvdProcess>> Start(
      const std::vector<std::string>& args,
      absl::Duration timeout = absl::Seconds(30));

  ~KvdProcess();

  // The address kvd printed, e.g. "127.0.0.1:39211" or "unix:/tmp/k.sock".
  const std::string& address() const { return address_; }
  // Everything kvd printed on stdout, the address line included.
  const std::string& stdout_text() const { return stdout_text_; }
  pid_t pid() const { return pid_; }

  // A new channel to the server, with a client-side receive limit of
  // `max_receive_bytes` (gRPC's default when negative).
  std::shared_ptr<grpc::Channel> NewChannel(int max_receive_bytes = -1) const;

  // Sends `signal` and waits up to `timeout` for the process to exit.
  // Returns its exit code (128 + N if killed by signal N), or an error if
  // it is still running at the deadline (it is then killed).
  absl::StatusOr<int> Stop(int signal, absl::Duration timeout);

  // Sends `signal` without waiting.
  void Signal(int signal);
  // Waits up to `timeout` for the process to exit, as Stop does.
  absl::StatusOr<int> WaitForExit(absl::Duration timeout);

 private:
  KvdProcess() = default;

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string address_;
  std::string stdout_text_;
};

// Runs kvd with `args` to completion (for startup failures) and returns its
// exit code and combined output.
struct KvdRun {
  int exit_code;
  std::string output;
};
absl::StatusOr<KvdRun> RunKvd(const std::vector<std::string>& args,
                              absl::Duration timeout = absl::Seconds(30));

// The path of the kvd binary in the test's runfiles.
std::string KvdBinaryPath();

// A fresh empty directory under the test's temporary directory.
std::string NewTempDir(const std::string& name);

// A fresh empty directory under /tmp with a short path, for unix sockets.
std::string NewShortTempDir();

// Writes `text` to `path`.
void WriteFile(const std::string& path, const std::string& text);

}  // namespace kv::testing

#endif  // KV_TESTS_KVD_PROCESS_H_
