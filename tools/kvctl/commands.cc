#include "tools/kvctl/commands.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/byte_io.h"
#include "tools/kvctl/describe_output.h"
#include "tools/kvctl/error_report.h"
#include "tools/kvctl/expiry_text.h"
#include "tools/kvctl/json_output.h"
#include "tools/kvctl/store_session.h"

namespace kv::kvctl {
namespace {

using Json = nlohmann::json;

// Prints `error` as kvctl's one-line message (or JSON); returns `code`.
ExitCode Report(const CommandEnv& env, const absl::Status& error,
                ExitCode code) {
  return ReportError(env.err, env.json, error, code);
}

// Prints a failed call's error; returns the exit code it calls for.
ExitCode ReportCall(const CommandEnv& env, const absl::Status& error) {
  return Report(env, error, ExitCodeFor(error));
}

// Writes to stdout; a failure is a local I/O error.
ExitCode Print(const CommandEnv& env, absl::string_view text) {
  absl::Status written = WriteAll(env.out, text, "stdout");
  if (!written.ok()) return Report(env, written, ExitCode::kLocalIo);
  return ExitCode::kSuccess;
}

// Prints `document` on stdout as one line of JSON.
ExitCode PrintJson(const CommandEnv& env, const Json& document) {
  return Print(env, JsonLine(document));
}

// The start of every per-key result document.
Json KeyDocument(const CommandEnv& env, absl::string_view key) {
  return Json{{"store", env.store}, {"key", std::string(key)}};
}

// After a write: {"ok":true,...,"revision":N}; as text, nothing for an
// unconditional write, and the revision for a conditional one (what the
// next conditional write of a read-modify-write needs).
ExitCode ReportWritten(const CommandEnv& env, absl::string_view key,
                       const absl::StatusOr<uint64_t>& revision,
                       bool conditional) {
  if (!revision.ok()) return ReportCall(env, revision.status());
  if (env.json) {
    Json document = KeyDocument(env, key);
    document["ok"] = true;
    document["revision"] = *revision;
    return PrintJson(env, document);
  }
  if (!conditional) return ExitCode::kSuccess;
  return Print(env, absl::StrCat(*revision, "\n"));
}

// Opens the store, runs `body` on it and closes it. A failed Close does not
// change the result: `body`'s call has already succeeded or failed, and the
// server reclaims a handle left open.
ExitCode WithSession(const CommandEnv& env,
                     absl::FunctionRef<ExitCode(StoreSession&)> body) {
  absl::StatusOr<StoreSession> session =
      StoreSession::Open(env.channel, env.store, env.options);
  if (!session.ok()) return ReportCall(env, session.status());
  const ExitCode code = body(*session);
  session->Close().IgnoreError();
  return code;
}

absl::StatusOr<std::string> ReadValue(const CommandEnv& env,
                                      const ValueSource& value) {
  switch (value.kind) {
    case ValueSource::Kind::kLiteral:
      return value.text;
    case ValueSource::Kind::kFile:
      return ReadFile(value.text);
    case ValueSource::Kind::kStdin:
      return ReadAll(env.in, "stdin");
  }
  return absl::InternalError("unknown value source");
}

}  // namespace

ExitCode RunGet(const CommandEnv& env, absl::string_view key,
                const GetOptions& options) {
  return WithSession(env, [&](StoreSession& session) {
    // Get and GetEntry are the same call; GetEntry keeps what it returns.
    absl::StatusOr<kvd::Versioned> entry = session.GetEntry(key);
    if (!entry.ok()) return ReportCall(env, entry.status());
    if (env.json) {
      Json document = KeyDocument(env, key);
      AddValue(entry->value, document);
      if (options.revision) document["revision"] = entry->revision;
      if (entry->expire_time.has_value()) {
        document["expire_time"] = FormatExpireTime(*entry->expire_time);
      }
      return PrintJson(env, document);
    }
    std::string text;
    if (options.revision) absl::StrAppend(&text, entry->revision, "\n");
    if (options.expire_time) {
      absl::StrAppend(&text,
                      entry->expire_time.has_value()
                          ? FormatExpireTime(*entry->expire_time)
                          : "never",
                      "\n");
    }
    text.append(entry->value);
    // Off a terminal the bytes are exactly the value's, expiring or not
    // (`get k > file`); on one, a person reads it, and sees the expiry.
    if (env.out_is_terminal) {
      text.push_back('\n');
      if (entry->expire_time.has_value() && !options.expire_time) {
        absl::StrAppend(&text, "expires ",
                        FormatExpireTime(*entry->expire_time), "\n");
      }
    }
    return Print(env, text);
  });
}

ExitCode RunSet(const CommandEnv& env, absl::string_view key,
                const ValueSource& source, std::optional<uint64_t> if_revision,
                std::optional<std::chrono::milliseconds> ttl) {
  absl::StatusOr<std::string> value = ReadValue(env, source);
  if (!value.ok()) return Report(env, value.status(), ExitCode::kLocalIo);
  return WithSession(env, [&](StoreSession& session) {
    return ReportWritten(env, key, session.SetIf(key, *value, if_revision, ttl),
                         if_revision.has_value());
  });
}

ExitCode RunDelete(const CommandEnv& env, absl::string_view key,
                   std::optional<uint64_t> if_revision) {
  return WithSession(env, [&](StoreSession& session) {
    return ReportWritten(env, key, session.DeleteIf(key, if_revision),
                         if_revision.has_value());
  });
}

ExitCode RunIncr(const CommandEnv& env, absl::string_view key, int64_t delta) {
  return WithSession(env, [&](StoreSession& session) {
    absl::StatusOr<kvd::Counter> counter = session.Increment(key, delta);
    if (!counter.ok()) return ReportCall(env, counter.status());
    if (env.json) {
      Json document = KeyDocument(env, key);
      document["value"] = counter->value;
      document["revision"] = counter->revision;
      return PrintJson(env, document);
    }
    return Print(env, absl::StrCat(counter->value, "\n"));
  });
}

ExitCode RunDescribe(const CommandEnv& env) {
  return WithSession(env, [&](StoreSession& session) {
    absl::StatusOr<kvd::StoreInfo> info = session.Describe();
    if (!info.ok()) return ReportCall(env, info.status());
    if (env.json) return PrintJson(env, DescribeJson(env.store, *info));
    return Print(env, DescribeText(*info));
  });
}

ExitCode RunExists(const CommandEnv& env, absl::string_view key) {
  return WithSession(env, [&](StoreSession& session) {
    absl::StatusOr<bool> exists = session.Exists(key);
    if (!exists.ok()) return ReportCall(env, exists.status());
    Json document = KeyDocument(env, key);
    document["exists"] = *exists;
    const ExitCode printed = env.json
                                 ? PrintJson(env, document)
                                 : Print(env, *exists ? "true\n" : "false\n");
    if (printed != ExitCode::kSuccess) return printed;
    return *exists ? ExitCode::kSuccess : ExitCode::kNotFound;
  });
}

}  // namespace kv::kvctl
