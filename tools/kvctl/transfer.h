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

// Writes every key of `env.store` to `output` (a path; empty: `env.out`),
// streamed: a ListKeys page of keys at a time (at most 1,000, and within
// the store's max_batch_entries), each page's values read with one GetMany
// (halved, down to one Get, when they do not fit in one response), so
// memory holds one page whatever the store's size. A key deleted (or
// expired) between its page and its read is skipped and counted. A key
// that expires is written with its expire_time (record_format.h). A kvd
// without ListKeys is listed with one GetKeys instead. A file is written
// under a temporary name and renamed when complete, so a failed export
// leaves no file.
ExitCode RunExport(const CommandEnv& env, const std::string& output,
                   const ProgressOptions& progress);

// Reads records from `input` (a path; empty: `env.in`) and Sets each in
// `env.store`, in order. A record with an expire_time is set with the ttl
// left until then by this machine's clock; one whose time has passed is not
// imported, and counted. Stops at the first line that is not a valid record
// (kBadInput) or whose Set fails, naming the line; the lines before it stay
// imported. With `dry_run`, only checks the lines and contacts no server.
ExitCode RunImport(const CommandEnv& env, const std::string& input,
                   bool dry_run, const ProgressOptions& progress);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_TRANSFER_H_
