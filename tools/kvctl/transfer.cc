#include "tools/kvctl/transfer.h"

#include <sys/types.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "clients/cpp/store.h"
#include "tools/kvctl/atomic_file.h"
#include "tools/kvctl/call_status.h"
#include "tools/kvctl/record_format.h"
#include "tools/kvctl/store_session.h"

namespace kv::kvctl {
namespace {

ExitCode Report(const CommandEnv& env, absl::string_view message,
                ExitCode code) {
  std::fprintf(env.err, "kvctl: %s\n", std::string(message).c_str());
  return code;
}

// The errno text of a failed stream operation.
std::string ErrnoText(int error_number) {
  return error_number != 0 ? std::strerror(error_number) : "I/O error";
}

// Why GetKeys failed, with what to do when the store has too many keys for
// one response (kvd's limit, or kvctl's receive limit).
std::string GetKeysFailure(const absl::Status& error) {
  std::string message(error.message());
  if (error.code() == absl::StatusCode::kResourceExhausted) {
    absl::StrAppend(
        &message,
        "; export needs every key in one GetKeys response: raise [limits] "
        "max_get_keys_bytes in kvd's runtime config and restart kvd (kvctl "
        "accepts responses up to ",
        kvd::Options().max_receive_message_bytes >> 20, " MiB)");
  }
  return message;
}

// Reads lines from a stream with getline(3): any length, any bytes.
class LineReader {
 public:
  explicit LineReader(std::FILE* in) : in_(in) {}
  ~LineReader() { std::free(buffer_); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line without its '\n'; nullopt at end of input or on error
  // (then failed() is true). `bytes` is the line's size with its '\n'.
  std::optional<absl::string_view> Next(size_t& bytes) {
    errno = 0;
    const ssize_t n = getline(&buffer_, &capacity_, in_);
    if (n < 0) {
      error_ = errno;
      return std::nullopt;
    }
    bytes = static_cast<size_t>(n);
    absl::string_view line(buffer_, bytes);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    return line;
  }

  bool failed() const { return std::ferror(in_) != 0; }
  int error() const { return error_; }

 private:
  std::FILE* in_;
  char* buffer_ = nullptr;
  size_t capacity_ = 0;
  int error_ = 0;
};

}  // namespace

ExitCode RunExport(const CommandEnv& env, const std::string& output,
                   const ProgressOptions& progress_options) {
  // The file first: a path that cannot be written fails before any call.
  std::optional<AtomicFile> file;
  std::FILE* out = env.out;
  std::string out_name = "stdout";
  if (!output.empty()) {
    absl::StatusOr<AtomicFile> created = AtomicFile::Create(output);
    if (!created.ok()) {
      return Report(env, created.status().message(), ExitCode::kLocalIo);
    }
    file.emplace(*std::move(created));
    out = file->file();
    out_name = Quote(file->temp_path());
  }

  absl::StatusOr<StoreSession> session =
      StoreSession::Open(env.channel, env.store, env.options);
  if (!session.ok()) {
    return Report(env, session.status().message(),
                  ExitCodeFor(session.status()));
  }
  absl::StatusOr<std::vector<std::string>> keys = session->GetKeys();
  if (!keys.ok()) {
    // Too many keys is kRefused (3) either way: kvd's IO error, or a
    // response over kvctl's receive limit, which carries no ErrorCode.
    return Report(env, GetKeysFailure(keys.status()),
                  ExitCodeFor(keys.status()));
  }

  Progress progress(env.err, "exported", progress_options);
  uint64_t skipped = 0;
  for (const std::string& key : *keys) {
    absl::StatusOr<std::string> value = session->Get(key);
    if (!value.ok()) {
      if (ExitCodeFor(value.status()) == ExitCode::kNotFound) {
        ++skipped;  // Deleted since GetKeys.
        continue;
      }
      return Report(env, value.status().message(), ExitCodeFor(value.status()));
    }
    absl::StatusOr<std::string> line = EncodeRecord(key, *value);
    if (!line.ok()) {
      return Report(env,
                    absl::StrCat("export of store ", Quote(env.store), ": ",
                                 line.status().message()),
                    ExitCode::kRefused);
    }
    line->push_back('\n');
    errno = 0;
    if (std::fwrite(line->data(), 1, line->size(), out) != line->size()) {
      return Report(
          env, absl::StrCat("cannot write ", out_name, ": ", ErrnoText(errno)),
          ExitCode::kLocalIo);
    }
    progress.Add(line->size());
  }
  session->Close().IgnoreError();

  if (file.has_value()) {
    if (absl::Status committed = file->Commit(); !committed.ok()) {
      return Report(env, committed.message(), ExitCode::kLocalIo);
    }
  } else {
    errno = 0;
    if (std::fflush(out) != 0 || std::ferror(out)) {
      return Report(
          env, absl::StrCat("cannot write ", out_name, ": ", ErrnoText(errno)),
          ExitCode::kLocalIo);
    }
  }
  progress.Finish(skipped == 0 ? std::string()
                               : absl::StrCat("; skipped ", skipped,
                                              skipped == 1 ? " key" : " keys",
                                              " deleted during the export"));
  return ExitCode::kSuccess;
}

ExitCode RunImport(const CommandEnv& env, const std::string& input,
                   bool dry_run, const ProgressOptions& progress_options) {
  std::FILE* in = env.in;
  std::string in_name = "stdin";
  std::FILE* opened = nullptr;
  if (!input.empty()) {
    in_name = Quote(input);
    opened = std::fopen(input.c_str(), "rb");
    if (opened == nullptr) {
      return Report(
          env, absl::StrCat("cannot open ", in_name, ": ", ErrnoText(errno)),
          ExitCode::kLocalIo);
    }
    in = opened;
  }
  struct Closer {
    std::FILE* file;
    ~Closer() {
      if (file != nullptr) std::fclose(file);
    }
  } closer{opened};

  std::optional<StoreSession> session;
  if (!dry_run) {
    absl::StatusOr<StoreSession> opened_session =
        StoreSession::Open(env.channel, env.store, env.options);
    if (!opened_session.ok()) {
      return Report(env, opened_session.status().message(),
                    ExitCodeFor(opened_session.status()));
    }
    session.emplace(*std::move(opened_session));
  }

  Progress progress(env.err, dry_run ? "validated" : "imported",
                    progress_options);
  // Where a failing line is, and what was done before it.
  auto so_far = [&] {
    if (dry_run) {
      return absl::StrCat(" (in ", in_name, "; --dry-run: nothing imported)");
    }
    return absl::StrCat(" (in ", in_name, "; imported the ", progress.keys(),
                        progress.keys() == 1 ? " key" : " keys",
                        " before it into store ", Quote(env.store),
                        ", nothing after)");
  };

  LineReader reader(in);
  uint64_t line_number = 0;
  size_t bytes = 0;
  while (std::optional<absl::string_view> line = reader.Next(bytes)) {
    ++line_number;
    absl::StatusOr<Record> record =
        absl::StripAsciiWhitespace(*line).empty()
            ? absl::InvalidArgumentError(
                  "empty line; every line must be one record "
                  "{\"key\":...,\"value\":...}")
            : DecodeRecord(*line);
    if (!record.ok()) {
      return Report(env,
                    absl::StrCat("line ", line_number, ": ",
                                 record.status().message(), so_far()),
                    ExitCode::kBadInput);
    }
    if (session.has_value()) {
      if (absl::Status set = session->Set(record->key, record->value);
          !set.ok()) {
        return Report(
            env,
            absl::StrCat("line ", line_number, ": ", set.message(), so_far()),
            ExitCodeFor(set));
      }
    }
    progress.Add(bytes);
  }
  if (reader.failed()) {
    return Report(env,
                  absl::StrCat("line ", line_number + 1, ": cannot read: ",
                               ErrnoText(reader.error()), so_far()),
                  ExitCode::kLocalIo);
  }
  if (session.has_value()) session->Close().IgnoreError();
  progress.Finish(dry_run ? "; nothing imported (--dry-run)" : "");
  return ExitCode::kSuccess;
}

}  // namespace kv::kvctl
