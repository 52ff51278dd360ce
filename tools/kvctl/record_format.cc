#include "tools/kvctl/record_format.h"

#include <exception>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/call_status.h"
#include "tools/kvctl/expiry_text.h"

namespace kv::kvctl {
namespace {

using Json = nlohmann::json;

// nlohmann's exception text without its "[json.exception.NAME] " prefix and
// with "at line 1, column 5" as "at column 5": a record is one line, and the
// caller names it.
std::string JsonErrorText(const std::exception& error) {
  absl::string_view text = error.what();
  const size_t bracket = text.find("] ");
  if (absl::StartsWith(text, "[json.exception.") &&
      bracket != absl::string_view::npos) {
    text.remove_prefix(bracket + 2);
  }
  std::string result(text);
  const std::string line_one = "at line 1, ";
  if (const size_t at = result.find(line_one); at != std::string::npos) {
    result.replace(at, line_one.size(), "at ");
  }
  return result;
}

// A JSON type's name, as in an error: "a number", "an object".
std::string TypeName(const Json& value) {
  const std::string name = value.type_name();
  const bool vowel = !name.empty() && absl::StrContains("aeiou", name[0]);
  return absl::StrCat(vowel ? "an " : "a ", name);
}

}  // namespace

absl::StatusOr<std::string> EncodeRecord(
    absl::string_view key, absl::string_view value,
    std::optional<std::chrono::system_clock::time_point> expire_time) {
  std::string json_key;
  try {
    json_key = Json(std::string(key))
                   .dump(-1, ' ', /*ensure_ascii=*/false,
                         Json::error_handler_t::strict);
  } catch (const Json::type_error& error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key ", Quote(key), " is not valid UTF-8: ", JsonErrorText(error)));
  }
  std::string line = absl::StrCat("{\"key\":", json_key, ",\"value\":\"",
                                  absl::Base64Escape(value), "\"");
  if (expire_time.has_value()) {
    absl::StrAppend(&line, ",\"expire_time\":\"",
                    FormatExpireTime(*expire_time), "\"");
  }
  line.push_back('}');
  return line;
}

absl::StatusOr<Record> DecodeRecord(absl::string_view line) {
  Json json;
  try {
    json = Json::parse(line.begin(), line.end());
  } catch (const Json::parse_error& error) {
    return absl::InvalidArgumentError(
        absl::StrCat("not valid JSON: ", JsonErrorText(error)));
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a record: want a JSON object {\"key\":...,\"value\":...}, got ",
        TypeName(json)));
  }
  for (const auto& [name, field] : json.items()) {
    if (name != "key" && name != "value" && name != "expire_time") {
      return absl::InvalidArgumentError(absl::StrCat(
          "unexpected field ", Quote(name),
          "; a record has only \"key\", \"value\" and \"expire_time\""));
    }
  }
  Record record;
  for (const char* name : {"key", "value"}) {
    const auto field = json.find(name);
    if (field == json.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing field \"", name, "\""));
    }
    if (!field->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "field \"", name, "\" is ", TypeName(*field), ", want a string"));
    }
  }
  record.key = json["key"].get<std::string>();
  if (record.key.empty()) {
    return absl::InvalidArgumentError("field \"key\" is empty");
  }
  const std::string& base64 = json["value"].get_ref<const std::string&>();
  // Unescape is lenient (missing padding, stray characters at the end), so
  // only text that re-encodes to itself is standard, padded base64.
  if (!absl::Base64Unescape(base64, &record.value) ||
      absl::Base64Escape(record.value) != base64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "field \"value\" of key ", Quote(record.key),
        " is not standard padded base64 (A-Z a-z 0-9 + /, length a multiple "
        "of 4, = padding)"));
  }
  if (const auto expire = json.find("expire_time"); expire != json.end()) {
    if (!expire->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"expire_time\" of key ", Quote(record.key),
                       " is ", TypeName(*expire), ", want a string"));
    }
    absl::StatusOr<std::chrono::system_clock::time_point> time =
        ParseExpireTime(expire->get_ref<const std::string&>());
    if (!time.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"expire_time\" of key ", Quote(record.key),
                       " is ", time.status().message()));
    }
    record.expire_time = *time;
  }
  return record;
}

}  // namespace kv::kvctl
