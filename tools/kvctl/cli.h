#ifndef KV_TOOLS_KVCTL_CLI_H_
#define KV_TOOLS_KVCTL_CLI_H_

// kvctl's command line: parses the arguments with CLI11, connects to kvd and
// runs the chosen subcommand on the process's stdin, stdout and stderr.

namespace kv::kvctl {

// Runs kvctl; returns the process exit code (see exit_code.h).
int RunKvctl(int argc, char** argv);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_CLI_H_
