#ifndef KV_TOOLS_KVCTL_KVCTL_RUNNER_H_
#define KV_TOOLS_KVCTL_KVCTL_RUNNER_H_

// For end-to-end tests of the kvctl binary: runs it as a child process, as
// a user's shell would, and collects what it printed.

#include <string>
#include <vector>

namespace kv::kvctl {

// The kvctl binary in the test's runfiles (data = [":kvctl"]).
std::string KvctlBinaryPath();

// A file's bytes; empty if it cannot be read.
std::string ReadFileText(const std::string& path);

struct KvctlRun {
  // -1 if kvctl could not be started or did not exit normally.
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is the program) to completion with stdin from
// `stdin_path`; its stdout and stderr go to files in `dir`, whose text is
// returned. A failure to start it is a test failure (ADD_FAILURE).
KvctlRun RunKvctl(std::vector<std::string> argv, const std::string& dir,
                  const std::string& stdin_path = "/dev/null");

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_KVCTL_RUNNER_H_
