#ifndef KV_SERVICE_TELEMETRY_LOGGING_H_
#define KV_SERVICE_TELEMETRY_LOGGING_H_

// kvd's log: one line per event on stderr, as text or as JSON.
//
//   text: 2026-01-02T03:04:05.678+00:00 info serving 1 store(s) on ...
//   json: {"time":"2026-01-02T03:04:05.678Z","level":"info","msg":"..."}
//
// Events logged with LogEvent carry named fields: in JSON they are members
// of the line's object, in text they follow the message as name=value.

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "nlohmann/json.hpp"
#include "spdlog/common.h"

namespace kv {

enum class LogFormat { kText, kJson };

// "text" or "json"; nullopt for anything else.
absl::optional<LogFormat> ParseLogFormat(absl::string_view name);

// "debug", "info", "warn" or "error"; nullopt for anything else.
absl::optional<spdlog::level::level_enum> ParseLogLevel(absl::string_view name);

// Makes kvd's logger, writing lines of `format` at `level` and above to
// `sink` (stderr when null), the default spdlog logger, and routes gRPC's
// and protobuf's own log lines through it (protobuf's at debug level).
void ConfigureLogging(LogFormat format, spdlog::level::level_enum level,
                      spdlog::sink_ptr sink = nullptr);

// The format ConfigureLogging set (text before it is called).
LogFormat CurrentLogFormat();

// Logs `message` with `fields`, a JSON object of named values, on the
// default logger.
void LogEvent(spdlog::level::level_enum level, absl::string_view message,
              const nlohmann::ordered_json& fields);

// The text form of `fields`: " name=value" for each, strings quoted (JSON
// style) when empty or when they hold spaces, quotes, '=' or control bytes.
std::string FieldsAsText(const nlohmann::ordered_json& fields);

}  // namespace kv

#endif  // KV_SERVICE_TELEMETRY_LOGGING_H_
