#include "service/telemetry/logging.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"
#include "spdlog/formatter.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace kv {
namespace {

std::atomic<LogFormat> current_format{LogFormat::kText};

// The fields of the event being logged on this thread, for the JSON
// formatter, which runs synchronously inside the logging call.
thread_local const nlohmann::ordered_json* current_fields = nullptr;

// Invalid UTF-8 (say, from a library's message) becomes U+FFFD rather than
// failing the line.
std::string Dump(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false,
                    nlohmann::ordered_json::error_handler_t::replace);
}

// Writes each message as one JSON object: time (UTC, milliseconds), level,
// msg, then the event's fields.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    nlohmann::ordered_json line = nlohmann::ordered_json::object();
    line["time"] =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(msg.time),
                         absl::UTCTimeZone());
    const spdlog::string_view_t level =
        spdlog::level::to_string_view(msg.level);
    line["level"] = std::string(level.data(), level.size());
    line["msg"] = std::string(msg.payload.data(), msg.payload.size());
    if (current_fields != nullptr && current_fields->is_object()) {
      for (const auto& [name, value] : current_fields->items()) {
        if (!line.contains(name)) line[name] = value;
      }
    }
    const std::string text = Dump(line);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// Protobuf's own messages (e.g. about a request with invalid UTF-8, which
// kvd already answers with a precise error) go to the debug log, so a client
// cannot flood the log with them.
void ProtobufLogToDebug(google::protobuf::LogLevel /*level*/,
                        const char* filename, int line,
                        const std::string& message) {
  spdlog::debug("protobuf {}:{}: {}", filename, line, message);
}

// gRPC's messages (errors only, unless GRPC_VERBOSITY says otherwise) in
// kvd's format, so every stderr line parses the same way.
void GrpcLog(gpr_log_func_args* args) {
  spdlog::level::level_enum level = spdlog::level::err;
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = spdlog::level::debug;
  if (args->severity == GPR_LOG_SEVERITY_INFO) level = spdlog::level::info;
  spdlog::log(level, "grpc {}:{}: {}", args->file, args->line, args->message);
}

bool NeedsQuotes(const std::string& text) {
  if (text.empty()) return true;
  for (const char c : text) {
    if (c == ' ' || c == '"' || c == '=' ||
        static_cast<unsigned char>(c) < 0x20)
      return true;
  }
  return false;
}

}  // namespace

absl::optional<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return absl::nullopt;
}

absl::optional<spdlog::level::level_enum> ParseLogLevel(
    absl::string_view name) {
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return absl::nullopt;
}

void ConfigureLogging(LogFormat format, spdlog::level::level_enum level,
                      spdlog::sink_ptr sink) {
  if (sink == nullptr) {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  }
  auto logger = std::make_shared<spdlog::logger>("kvd", std::move(sink));
  if (format == LogFormat::kJson) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  }
  logger->set_level(level);
  current_format.store(format);
  spdlog::set_default_logger(std::move(logger));
  google::protobuf::SetLogHandler(&ProtobufLogToDebug);
  gpr_set_log_function(&GrpcLog);
}

LogFormat CurrentLogFormat() { return current_format.load(); }

std::string FieldsAsText(const nlohmann::ordered_json& fields) {
  std::string text;
  for (const auto& [name, value] : fields.items()) {
    std::string rendered;
    if (value.is_string()) {
      rendered = value.get<std::string>();
      if (NeedsQuotes(rendered)) rendered = Dump(value);
    } else {
      rendered = Dump(value);
    }
    absl::StrAppend(&text, " ", name, "=", rendered);
  }
  return text;
}

void LogEvent(spdlog::level::level_enum level, absl::string_view message,
              const nlohmann::ordered_json& fields) {
  if (!spdlog::should_log(level)) return;
  if (CurrentLogFormat() == LogFormat::kText) {
    spdlog::log(level, "{}{}", std::string(message), FieldsAsText(fields));
    return;
  }
  current_fields = &fields;
  spdlog::log(level, "{}", std::string(message));
  current_fields = nullptr;
}

}  // namespace kv
