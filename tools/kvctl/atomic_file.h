#ifndef KV_TOOLS_KVCTL_ATOMIC_FILE_H_
#define KV_TOOLS_KVCTL_ATOMIC_FILE_H_

// AtomicFile: writes a file under a temporary name next to it and renames it
// into place only when everything was written, so a failed or interrupted
// write never leaves a truncated file that looks complete.

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kv::kvctl {

class AtomicFile {
 public:
  // Creates "PATH.tmp-PID[-N]" in PATH's folder (mode 0666 less the umask,
  // like a shell redirection). Errors (UNAVAILABLE) name the path.
  static absl::StatusOr<AtomicFile> Create(const std::string& path);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Removes the temporary file unless Commit() succeeded.
  ~AtomicFile();

  // Where to write.
  std::FILE* file() const { return file_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

  // Flushes, syncs to disk and renames the temporary file to the path,
  // replacing any file there. On failure the temporary file is removed and
  // the path is left as it was.
  absl::Status Commit();

 private:
  AtomicFile(std::string path, std::string temp_path, std::FILE* file);
  // Closes and removes the temporary file, if still there.
  void Discard();

  std::string path_;
  std::string temp_path_;
  std::FILE* file_;
};

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_ATOMIC_FILE_H_
