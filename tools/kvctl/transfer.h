#ifndef KV_TOOLS_KVCTL_TRANSFER_H_
#define KV_TOOLS_KVCTL_TRANSFER_H_

// `kvctl export` and `kvctl import`: a whole store as JSON Lines (see
// record_format.h), for moving a store between backends. Both report
// progress and a summary on `env.err` (progress.h) and errors as one line
// "kvctl: ...", and return the process exit code. With `env.json`, progress
// lines and errors are JSON objects, and the summary is a JSON document: on
// `env.out`, except for an export to stdout, whose summary goes to `env.err`
// (and is left out with `quiet`).

#include <string>

#include "tools/kvctl/commands.h"
#include "tools/kvctl/exit_code.h"
#include "tools/kvctl/progress.h"

namespace kv::kvctl {

// Writes every key of `env.store` to `output` (a path; empty: `env.out`).
// Lists the keys with one GetKeys, then reads each with Get; a key deleted
// in between is skipped and counted. A file is written under a temporary
// name and renamed when complete, so a failed export leaves no file.
ExitCode RunExport(const CommandEnv& env, const std::string& output,
                   const ProgressOptions& progress);

// Reads records from `input` (a path; empty: `env.in`) and Sets each in
// `env.store`, in order. Stops at the first line that is not a valid record
// (kBadInput) or whose Set fails, naming the line; the lines before it stay
// imported. With `dry_run`, only checks the lines and contacts no server.
ExitCode RunImport(const CommandEnv& env, const std::string& input,
                   bool dry_run, const ProgressOptions& progress);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_TRANSFER_H_
