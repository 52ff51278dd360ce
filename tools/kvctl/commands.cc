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
#include "tools/kvctl/error_report.h"
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

// `ok` after a call that returns nothing: no output, or {"ok":true,...}.
ExitCode ReportDone(const CommandEnv& env, absl::string_view key,
                    const absl::Status& status) {
  if (!status.ok()) return ReportCall(env, status);
  if (!env.json) return ExitCode::kSuccess;
  Json document = KeyDocument(env, key);
  document["ok"] = true;
  return PrintJson(env, document);
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

ExitCode RunGet(const CommandEnv& env, absl::string_view key) {
  return WithSession(env, [&](StoreSession& session) {
    absl::StatusOr<std::string> value = session.Get(key);
    if (!value.ok()) return ReportCall(env, value.status());
    if (env.json) {
      Json document = KeyDocument(env, key);
      AddValue(*value, document);
      return PrintJson(env, document);
    }
    if (env.out_is_terminal) value->push_back('\n');
    return Print(env, *value);
  });
}

ExitCode RunSet(const CommandEnv& env, absl::string_view key,
                const ValueSource& source) {
  absl::StatusOr<std::string> value = ReadValue(env, source);
  if (!value.ok()) return Report(env, value.status(), ExitCode::kLocalIo);
  return WithSession(env, [&](StoreSession& session) {
    return ReportDone(env, key, session.Set(key, *value));
  });
}

ExitCode RunDelete(const CommandEnv& env, absl::string_view key) {
  return WithSession(env, [&](StoreSession& session) {
    return ReportDone(env, key, session.Delete(key));
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

ExitCode RunKeys(const CommandEnv& env) {
  return WithSession(env, [&](StoreSession& session) {
    absl::StatusOr<std::vector<std::string>> keys = session.GetKeys();
    if (!keys.ok()) return ReportCall(env, keys.status());
    if (env.json) {
      return PrintJson(env, Json{{"store", env.store}, {"keys", *keys}});
    }
    std::string text;
    for (const std::string& key : *keys) absl::StrAppend(&text, key, "\n");
    return Print(env, text);
  });
}

}  // namespace kv::kvctl
