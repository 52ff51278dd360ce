#include "tools/kvctl/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/kvctl/call_status.h"

namespace kv::kvctl {
namespace {

absl::Status IoError(absl::string_view verb, absl::string_view path,
                     int error_number) {
  return absl::UnavailableError(absl::StrCat(
      "cannot ", verb, " ", Quote(path), ": ",
      error_number != 0 ? std::strerror(error_number) : "I/O error"));
}

}  // namespace

absl::StatusOr<AtomicFile> AtomicFile::Create(const std::string& path) {
  const std::string base = absl::StrCat(path, ".tmp-", getpid());
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string temp_path =
        attempt == 0 ? base : absl::StrCat(base, "-", attempt);
    const int fd =
        open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return IoError("create", temp_path, errno);
    }
    std::FILE* file = fdopen(fd, "wb");
    if (file == nullptr) {
      const int error = errno;
      close(fd);
      unlink(temp_path.c_str());
      return IoError("open", temp_path, error);
    }
    return AtomicFile(path, temp_path, file);
  }
  return IoError("create", base, EEXIST);
}

AtomicFile::AtomicFile(std::string path, std::string temp_path, std::FILE* file)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), file_(file) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      file_(std::exchange(other.file_, nullptr)) {}

AtomicFile::~AtomicFile() { Discard(); }

void AtomicFile::Discard() {
  if (file_ == nullptr) return;
  std::fclose(std::exchange(file_, nullptr));
  unlink(temp_path_.c_str());
}

absl::Status AtomicFile::Commit() {
  if (file_ == nullptr) {
    return absl::FailedPreconditionError("the file is already closed");
  }
  errno = 0;
  if (std::fflush(file_) != 0 || std::ferror(file_) ||
      fsync(fileno(file_)) != 0) {
    const absl::Status error = IoError("write", temp_path_, errno);
    Discard();
    return error;
  }
  std::FILE* file = std::exchange(file_, nullptr);
  if (std::fclose(file) != 0) {
    const absl::Status error = IoError("write", temp_path_, errno);
    unlink(temp_path_.c_str());
    return error;
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const absl::Status error = IoError(
        absl::StrCat("rename ", Quote(temp_path_), " to"), path_, errno);
    unlink(temp_path_.c_str());
    return error;
  }
  return absl::OkStatus();
}

}  // namespace kv::kvctl
