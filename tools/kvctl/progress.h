#ifndef KV_TOOLS_KVCTL_PROGRESS_H_
#define KV_TOOLS_KVCTL_PROGRESS_H_

// Progress of a long `export`, `import` or `keys`, on stderr: a line every
// couple of seconds while it runs,
//
//   exported 120000 keys (35.2 MiB)
//
// and a summary at the end,
//
//   exported 250000 keys, 71.0 MiB, in 12.3 s
//
// With --json, each progress line is a JSON object instead,
//
//   {"progress":"exported","keys":120000,"bytes":36909875}
//
// and the caller prints the summary document (transfer.cc). With
// `show_rate` (`keys`), each line and the summary also give the keys per
// second so far: "listed 120000 keys (2.3 MiB, 60000 keys/s)", and JSON lines
// "keys_per_second".

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kv::kvctl {

// "512 B", "12.3 KiB", "71.0 MiB", "2.5 GiB".
std::string FormatBytes(uint64_t bytes);

struct ProgressOptions {
  // No progress lines and no summary (errors are still printed).
  bool quiet = false;
  // Progress lines as JSON (--json); Finish() then prints nothing.
  bool json = false;
  // Time between two progress lines.
  absl::Duration interval = absl::Seconds(2);
  // Whether lines and the summary give the keys per second.
  bool show_rate = false;
  // The clock; tests replace it.
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class Progress {
 public:
  // `verb` starts every line: "exported", "imported", "validated". The
  // clock starts now.
  Progress(std::FILE* err, std::string verb, ProgressOptions options);

  // Counts one key of `bytes` bytes; prints a progress line when `interval`
  // has passed since the previous line (or the start).
  void Add(uint64_t bytes);

  // Prints the summary, followed by `note` (e.g. "; 2 keys skipped"),
  // unless `quiet` or `json`.
  void Finish(absl::string_view note = "");

  uint64_t keys() const { return keys_; }
  // Progress lines printed so far (not counting the summary).
  uint64_t lines() const { return lines_; }
  uint64_t bytes() const { return bytes_; }
  // Time since the start, by the options' clock.
  absl::Duration elapsed() const { return options_.now() - start_; }

 private:
  // Keys per second since the start, at `now`.
  double Rate(absl::Time now) const;

  std::FILE* err_;
  std::string verb_;
  ProgressOptions options_;
  absl::Time start_;
  absl::Time last_line_;
  uint64_t keys_ = 0;
  uint64_t bytes_ = 0;
  uint64_t lines_ = 0;
};

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_PROGRESS_H_
