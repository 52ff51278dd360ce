#include "tools/kvctl/transfer.h"

#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
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
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "clients/cpp/store.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/atomic_file.h"
#include "tools/kvctl/byte_io.h"
#include "tools/kvctl/call_status.h"
#include "tools/kvctl/error_report.h"
#include "tools/kvctl/json_output.h"
#include "tools/kvctl/record_format.h"
#include "tools/kvctl/store_session.h"

namespace kv::kvctl {
namespace {

using Json = nlohmann::json;

ExitCode Report(const CommandEnv& env, const absl::Status& error,
                ExitCode code) {
  return ReportError(env.err, env.json, error, code);
}

// A failure of kvctl's own (a file, a stream, the input), not of a call.
absl::Status LocalError(absl::string_view message) {
  return absl::UnknownError(message);
}

// Prints the --json summary `document` on `out` (a failure to write it is a
// local I/O error, like any other output's).
ExitCode PrintSummary(const CommandEnv& env, std::FILE* out,
                      const Json& document) {
  absl::Status written =
      WriteAll(out, JsonLine(document), out == env.out ? "stdout" : "stderr");
  if (!written.ok()) return Report(env, written, ExitCode::kLocalIo);
  return ExitCode::kSuccess;
}

// `options` with progress lines as JSON when the command prints JSON.
ProgressOptions ForEnv(const CommandEnv& env, ProgressOptions options) {
  options.json = env.json;
  return options;
}

// The --json summary fields every transfer has.
Json SummaryDocument(const CommandEnv& env, const char* command,
                     const Progress& progress) {
  return Json{{"command", command},
              {"store", env.store},
              {"keys", progress.keys()},
              {"bytes", progress.bytes()},
              {"seconds", absl::ToDoubleSeconds(progress.elapsed())}};
}

// The errno text of a failed stream operation.
std::string ErrnoText(int error_number) {
  return error_number != 0 ? std::strerror(error_number) : "I/O error";
}

// Why GetKeys failed (export from a kvd without ListKeys), with what to do
// when the store has too many keys for one response (kvd's limit, or
// kvctl's receive limit).
absl::Status GetKeysFailure(const absl::Status& error) {
  std::string message(error.message());
  if (error.code() == absl::StatusCode::kResourceExhausted) {
    absl::StrAppend(
        &message,
        "; this kvd has no ListKeys, so export needs every key in one "
        "GetKeys response: raise [limits] max_get_keys_bytes in kvd's "
        "runtime config and restart kvd, or upgrade kvd (kvctl accepts "
        "responses up to ",
        kvd::Options().max_receive_message_bytes >> 20, " MiB)");
  }
  return Reworded(error, message);
}

// Keys per ListKeys page and GetMany batch when kvd names no smaller batch
// limit: kvd's default page.
constexpr uint64_t kExportBatch = 1000;

// Writes the records of a store, a batch of keys at a time, read with
// GetMany (one snapshot per batch). A batch whose values do not fit in one
// GetMany response (RESOURCE_EXHAUSTED: over max_batch_bytes, or kvctl's
// receive limit) is split in halves, down to one key, read with Get.
class Exporter {
 public:
  Exporter(const CommandEnv& env, StoreSession& session, std::FILE* out,
           std::string out_name, Progress& progress)
      : env_(env),
        session_(session),
        out_(out),
        out_name_(std::move(out_name)),
        progress_(progress) {}

  // Writes the keys of `keys` that still exist, in order; kSuccess or the
  // exit code of the error it reported.
  ExitCode Write(absl::Span<const std::string> keys) {
    if (keys.empty()) return ExitCode::kSuccess;
    if (keys.size() == 1) return WriteOne(keys[0]);
    absl::StatusOr<std::vector<kvd::Entry>> entries = session_.GetMany(keys);
    if (absl::IsResourceExhausted(entries.status())) {
      const size_t half = keys.size() / 2;
      const ExitCode first = Write(keys.subspan(0, half));
      if (first != ExitCode::kSuccess) return first;
      return Write(keys.subspan(half));
    }
    if (!entries.ok()) {
      return Report(env_, entries.status(), ExitCodeFor(entries.status()));
    }
    for (const kvd::Entry& entry : *entries) {
      if (!entry.found) {
        ++skipped_;  // Deleted (or expired) since it was listed.
        continue;
      }
      const ExitCode code =
          WriteRecord(entry.key, entry.value, entry.expire_time);
      if (code != ExitCode::kSuccess) return code;
    }
    return ExitCode::kSuccess;
  }

  uint64_t skipped() const { return skipped_; }

 private:
  ExitCode WriteOne(const std::string& key) {
    absl::StatusOr<kvd::Versioned> entry = session_.GetEntry(key);
    if (!entry.ok()) {
      if (ExitCodeFor(entry.status()) == ExitCode::kNotFound) {
        ++skipped_;
        return ExitCode::kSuccess;
      }
      return Report(env_, entry.status(), ExitCodeFor(entry.status()));
    }
    return WriteRecord(key, entry->value, entry->expire_time);
  }

  ExitCode WriteRecord(const std::string& key, const std::string& value,
                       const kvd::ExpireTime& expire_time) {
    absl::StatusOr<std::string> line = EncodeRecord(key, value, expire_time);
    if (!line.ok()) {
      return Report(env_,
                    Reworded(line.status(),
                             absl::StrCat("export of store ", Quote(env_.store),
                                          ": ", line.status().message())),
                    ExitCode::kRefused);
    }
    line->push_back('\n');
    errno = 0;
    if (std::fwrite(line->data(), 1, line->size(), out_) != line->size()) {
      return Report(env_,
                    LocalError(absl::StrCat("cannot write ", out_name_, ": ",
                                            ErrnoText(errno))),
                    ExitCode::kLocalIo);
    }
    progress_.Add(line->size());
    return ExitCode::kSuccess;
  }

  const CommandEnv& env_;
  StoreSession& session_;
  std::FILE* out_;
  std::string out_name_;
  Progress& progress_;
  uint64_t skipped_ = 0;
};

// Every key of the store, a ListKeys page at a time, through `exporter`. A
// kvd without ListKeys (UNIMPLEMENTED) is read with one GetKeys instead.
ExitCode ExportPages(const CommandEnv& env, StoreSession& session,
                     uint64_t batch, Exporter& exporter) {
  std::string token;
  bool first = true;
  while (true) {
    absl::StatusOr<kvd::KeyPage> page =
        session.ListKeysPage("", static_cast<int32_t>(batch), token);
    if (first && absl::IsUnimplemented(page.status())) {
      absl::StatusOr<std::vector<std::string>> keys = session.GetKeys();
      if (!keys.ok()) {
        // Too many keys is kRefused (3) either way: kvd's IO error, or a
        // response over kvctl's receive limit, which carries no ErrorCode.
        return Report(env, GetKeysFailure(keys.status()),
                      ExitCodeFor(keys.status()));
      }
      absl::Span<const std::string> all(*keys);
      for (size_t at = 0; at < all.size(); at += batch) {
        const ExitCode code = exporter.Write(all.subspan(at, batch));
        if (code != ExitCode::kSuccess) return code;
      }
      return ExitCode::kSuccess;
    }
    first = false;
    if (!page.ok()) {
      return Report(env, page.status(), ExitCodeFor(page.status()));
    }
    // kvd may send fewer keys than asked (its own message limit) and more
    // than a batch only if it ignored page_size: keep to the batch limit.
    absl::Span<const std::string> keys(page->keys);
    for (size_t at = 0; at < keys.size(); at += batch) {
      const ExitCode code = exporter.Write(keys.subspan(at, batch));
      if (code != ExitCode::kSuccess) return code;
    }
    if (page->next_page_token.empty()) return ExitCode::kSuccess;
    token = std::move(page->next_page_token);
  }
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
      return Report(env, created.status(), ExitCode::kLocalIo);
    }
    file.emplace(*std::move(created));
    out = file->file();
    out_name = Quote(file->temp_path());
  }

  absl::StatusOr<StoreSession> session =
      StoreSession::Open(env.channel, env.store, env.options);
  if (!session.ok()) {
    return Report(env, session.status(), ExitCodeFor(session.status()));
  }
  // A batch (a page, then one GetMany) within the store's entry limit.
  absl::StatusOr<kvd::StoreInfo> info = session->Describe();
  if (!info.ok()) return Report(env, info.status(), ExitCodeFor(info.status()));
  const uint64_t batch =
      info->max_batch_entries == 0
          ? kExportBatch
          : std::min<uint64_t>(kExportBatch, info->max_batch_entries);

  Progress progress(env.err, "exported", ForEnv(env, progress_options));
  Exporter exporter(env, *session, out, out_name, progress);
  if (const ExitCode code = ExportPages(env, *session, batch, exporter);
      code != ExitCode::kSuccess) {
    return code;
  }
  const uint64_t skipped = exporter.skipped();
  session->Close().IgnoreError();

  if (file.has_value()) {
    if (absl::Status committed = file->Commit(); !committed.ok()) {
      return Report(env, committed, ExitCode::kLocalIo);
    }
  } else {
    errno = 0;
    if (std::fflush(out) != 0 || std::ferror(out)) {
      return Report(env,
                    LocalError(absl::StrCat("cannot write ", out_name, ": ",
                                            ErrnoText(errno))),
                    ExitCode::kLocalIo);
    }
  }
  if (env.json) {
    // The summary is the result: on stdout, unless the data went there.
    Json summary = SummaryDocument(env, "export", progress);
    summary["skipped"] = skipped;
    summary["output"] = output.empty() ? Json(nullptr) : Json(output);
    if (file.has_value()) return PrintSummary(env, env.out, summary);
    if (progress_options.quiet) return ExitCode::kSuccess;
    return PrintSummary(env, env.err, summary);
  }
  progress.Finish(skipped == 0 ? std::string()
                               : absl::StrCat("; skipped ", skipped,
                                              skipped == 1 ? " key" : " keys",
                                              " deleted or expired during the "
                                              "export"));
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
      return Report(env,
                    LocalError(absl::StrCat("cannot open ", in_name, ": ",
                                            ErrnoText(errno))),
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
      return Report(env, opened_session.status(),
                    ExitCodeFor(opened_session.status()));
    }
    session.emplace(*std::move(opened_session));
  }

  Progress progress(env.err, dry_run ? "validated" : "imported",
                    ForEnv(env, progress_options));
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
  uint64_t expired = 0;
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
                    Reworded(record.status(),
                             absl::StrCat("line ", line_number, ": ",
                                          record.status().message(), so_far())),
                    ExitCode::kBadInput);
    }
    // An expiring key keeps its expire time: it gets what is left of its
    // ttl by this machine's clock (kvd's backend may differ by its skew). A
    // key whose time has passed is not imported.
    std::optional<std::chrono::milliseconds> ttl;
    if (record->expire_time.has_value()) {
      ttl = std::chrono::floor<std::chrono::milliseconds>(
          *record->expire_time - std::chrono::system_clock::now());
      if (*ttl < std::chrono::milliseconds(1)) {
        ++expired;
        progress.Add(bytes);
        continue;
      }
    }
    if (session.has_value()) {
      if (absl::Status set =
              ttl.has_value() ? session->Set(record->key, record->value, *ttl)
                              : session->Set(record->key, record->value);
          !set.ok()) {
        return Report(env,
                      Reworded(set, absl::StrCat("line ", line_number, ": ",
                                                 set.message(), so_far())),
                      ExitCodeFor(set));
      }
    }
    progress.Add(bytes);
  }
  if (reader.failed()) {
    return Report(env,
                  LocalError(absl::StrCat(
                      "line ", line_number + 1,
                      ": cannot read: ", ErrnoText(reader.error()), so_far())),
                  ExitCode::kLocalIo);
  }
  if (session.has_value()) session->Close().IgnoreError();
  if (env.json) {
    Json summary = SummaryDocument(env, "import", progress);
    summary["dry_run"] = dry_run;
    summary["expired"] = expired;
    return PrintSummary(env, env.out, summary);
  }
  std::string note =
      expired == 0
          ? ""
          : absl::StrCat("; ", expired, expired == 1 ? " key" : " keys",
                         " already expired, not imported");
  if (dry_run) absl::StrAppend(&note, "; nothing imported (--dry-run)");
  progress.Finish(note);
  return ExitCode::kSuccess;
}

}  // namespace kv::kvctl
