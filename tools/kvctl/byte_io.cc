#include "tools/kvctl/byte_io.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tools/kvctl/call_status.h"

namespace kv::kvctl {
namespace {

absl::Status IoError(absl::string_view verb, absl::string_view what,
                     int error_number) {
  return absl::UnavailableError(absl::StrCat(
      "cannot ", verb, " ", what, ": ",
      error_number != 0 ? std::strerror(error_number) : "I/O error"));
}

}  // namespace

absl::StatusOr<std::string> ReadAll(std::FILE* in, absl::string_view what) {
  std::string bytes;
  char buffer[64 * 1024];
  for (;;) {
    const size_t n = std::fread(buffer, 1, sizeof(buffer), in);
    bytes.append(buffer, n);
    if (n < sizeof(buffer)) break;
  }
  if (std::ferror(in)) return IoError("read", what, errno);
  return bytes;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return IoError("open", Quote(path), errno);
  absl::StatusOr<std::string> bytes = ReadAll(file, Quote(path));
  std::fclose(file);
  return bytes;
}

absl::Status WriteAll(std::FILE* out, absl::string_view bytes,
                      absl::string_view what) {
  errno = 0;
  if (std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size() ||
      std::fflush(out) != 0) {
    return IoError("write", what, errno);
  }
  return absl::OkStatus();
}

}  // namespace kv::kvctl
