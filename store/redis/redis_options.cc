#include "store/redis/redis_options.h"

#include <sys/un.h>

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "store/registry.h"
#include "store/status_macros.h"

namespace kv {
namespace {

constexpr int kDefaultPort = 6379;
constexpr int kMaxPoolSize = 1024;
// sockaddr_un::sun_path holds this many bytes plus the terminating NUL.
constexpr size_t kMaxSocketPathBytes = sizeof(sockaddr_un::sun_path) - 1;

absl::Status FieldError(absl::string_view store, absl::string_view field,
                        absl::string_view detail) {
  return absl::InvalidArgumentError(
      absl::StrCat("store \"", store, "\": field ", field, " ", detail));
}

// A URL error. `detail` must never quote the part of the URL before the '@'
// (the password lives there), so messages quote only hosts, ports, paths
// and database numbers.
absl::Status UrlError(absl::string_view store, absl::string_view detail) {
  return FieldError(store, "url", detail);
}

bool IsAllDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Parses a database number: digits only, 0 to INT_MAX.
bool ParseDb(absl::string_view text, int* db) {
  return IsAllDigits(text) && absl::SimpleAtoi(text, db) && *db >= 0;
}

// Decodes %XX escapes. Returns false on a malformed escape.
bool PercentDecode(absl::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out->push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return false;  // Fewer than two hex digits.
    const char hi = text[i + 1];
    const char lo = text[i + 2];
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(hi)) ||
        !absl::ascii_isxdigit(static_cast<unsigned char>(lo))) {
      return false;
    }
    auto value = [](char c) {
      return absl::ascii_isdigit(static_cast<unsigned char>(c))
                 ? c - '0'
                 : absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' +
                       10;
    };
    out->push_back(static_cast<char>(value(hi) * 16 + value(lo)));
    i += 2;
  }
  return true;
}

// Escapes everything but RFC 3986 unreserved characters, for showing a user
// name inside a URL.
std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(u, absl::kZeroPad2));
    }
  }
  return out;
}

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '-' || c == '_';
}

bool IsIpv6Char(char c) {
  return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' ||
         c == '.';
}

// Parses "HOST", "HOST:PORT", "[IPV6]" or "[IPV6]:PORT".
absl::Status ParseHostPort(absl::string_view store, absl::string_view text,
                           RedisOptions& options) {
  if (text.empty()) {
    return UrlError(store,
                    "has no host; write e.g. \"redis://127.0.0.1:6379/0\"");
  }
  absl::string_view host;
  absl::string_view port;
  bool has_port = false;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return UrlError(store, absl::StrCat("has host \"", text,
                                          "\" with no ']' after the IPv6 "
                                          "address"));
    }
    host = text.substr(1, close - 1);
    absl::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return UrlError(store, absl::StrCat("has \"", after,
                                            "\" after the IPv6 address; "
                                            "expected \":PORT\""));
      }
      has_port = true;
      port = after.substr(1);
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), IsIpv6Char)) {
      return UrlError(store, absl::StrCat("has host \"[", host,
                                          "]\", which is not an IPv6 "
                                          "address"));
    }
  } else {
    const size_t colon = text.find(':');
    if (colon != absl::string_view::npos &&
        text.find(':', colon + 1) != absl::string_view::npos) {
      return UrlError(store, absl::StrCat("has host \"", text,
                                          "\" with several ':'; write an "
                                          "IPv6 address in brackets, e.g. "
                                          "redis://[::1]:6379"));
    }
    host = text.substr(0, colon);
    if (colon != absl::string_view::npos) {
      has_port = true;
      port = text.substr(colon + 1);
    }
    if (host.empty()) {
      return UrlError(store,
                      absl::StrCat("has no host before \":", port, "\""));
    }
    if (!std::all_of(host.begin(), host.end(), IsHostNameChar)) {
      return UrlError(store, absl::StrCat("has host \"", host,
                                          "\", which is not a host name or "
                                          "address"));
    }
  }
  options.host = std::string(host);
  options.port = kDefaultPort;
  if (has_port) {
    int number = 0;
    if (!IsAllDigits(port) || !absl::SimpleAtoi(port, &number) || number < 1 ||
        number > 65535) {
      return UrlError(store, absl::StrCat("has port \"", port,
                                          "\"; give a number from 1 to "
                                          "65535"));
    }
    options.port = number;
  }
  return absl::OkStatus();
}

// redis://[USER:PASSWORD@]HOST[:PORT][/DB]; `rest` follows "redis://".
absl::Status ParseRedisUrl(absl::string_view store, absl::string_view rest,
                           RedisOptions& options) {
  options.transport = RedisOptions::Transport::kTcp;
  // Only the user info can hold an '@' (a password may even hold an
  // unescaped one), so the last '@' ends it.
  absl::string_view server = rest;
  const size_t at = rest.rfind('@');
  if (at != absl::string_view::npos) {
    absl::string_view user_info = rest.substr(0, at);
    server = rest.substr(at + 1);
    const size_t colon = user_info.find(':');
    if (colon == absl::string_view::npos) {
      return UrlError(store,
                      "has a user name but no password; write "
                      "redis://USER:PASSWORD@HOST:PORT, or "
                      "redis://:PASSWORD@HOST:PORT for a password alone");
    }
    if (!PercentDecode(user_info.substr(0, colon), &options.user)) {
      return UrlError(store, "has a malformed %-escape in its user name");
    }
    if (!PercentDecode(user_info.substr(colon + 1), &options.password)) {
      return UrlError(store, "has a malformed %-escape in its password");
    }
    if (options.password.empty()) {
      return UrlError(store,
                      "has an empty password; leave out \"USER:@\" to "
                      "connect without AUTH");
    }
  }

  const size_t end_of_host = server.find_first_of("/?#");
  absl::string_view host_port = server.substr(0, end_of_host);
  absl::string_view path;
  if (end_of_host != absl::string_view::npos) {
    if (server[end_of_host] != '/') {
      return UrlError(store,
                      absl::StrCat("has \"", server.substr(end_of_host),
                                   "\" after the host; redis:// URLs take no "
                                   "query or fragment (the database goes in "
                                   "the path: redis://HOST:PORT/DB)"));
    }
    path = server.substr(end_of_host + 1);
  }
  KV_RETURN_IF_ERROR(ParseHostPort(store, host_port, options));
  options.db = 0;
  if (!path.empty() && !ParseDb(path, &options.db)) {
    return UrlError(store, absl::StrCat("has database \"", path,
                                        "\" after the host; give a number, "
                                        "e.g. redis://HOST:PORT/0"));
  }

  const std::string host = absl::StrContains(options.host, ':')
                               ? absl::StrCat("[", options.host, "]")
                               : options.host;
  options.address = absl::StrCat(host, ":", options.port);
  options.redacted_url =
      absl::StrCat("redis://",
                   options.password.empty()
                       ? ""
                       : absl::StrCat(PercentEncode(options.user), ":***@"),
                   options.address, "/", options.db);
  return absl::OkStatus();
}

// unix:/PATH[?db=N]; `rest` follows "unix:". "unix:///PATH" is accepted too.
absl::Status ParseUnixUrl(absl::string_view store, absl::string_view rest,
                          RedisOptions& options) {
  options.transport = RedisOptions::Transport::kUnix;
  if (absl::StartsWith(rest, "///")) rest.remove_prefix(2);
  const size_t question = rest.find('?');
  absl::string_view path = rest.substr(0, question);
  if (path.empty() || path.front() != '/') {
    return UrlError(store,
                    "must give an absolute socket path after \"unix:\", "
                    "e.g. unix:/run/redis/redis-server.sock");
  }
  if (path.size() > kMaxSocketPathBytes) {
    return UrlError(store,
                    absl::StrCat("has a socket path of ", path.size(),
                                 " bytes; the limit is ", kMaxSocketPathBytes));
  }
  options.socket_path = std::string(path);
  options.db = 0;
  if (question != absl::string_view::npos) {
    for (absl::string_view parameter :
         absl::StrSplit(rest.substr(question + 1), '&')) {
      const size_t equals = parameter.find('=');
      absl::string_view name = parameter.substr(0, equals);
      if (name != "db" || equals == absl::string_view::npos) {
        return UrlError(store, absl::StrCat("has parameter \"", name,
                                            "\"; unix: URLs take only db=N"));
      }
      absl::string_view value = parameter.substr(equals + 1);
      if (!ParseDb(value, &options.db)) {
        return UrlError(store, absl::StrCat("has db=\"", value,
                                            "\"; give a number, e.g. db=0"));
      }
    }
  }
  options.address = absl::StrCat("unix:", options.socket_path);
  options.redacted_url =
      options.db == 0 ? options.address
                      : absl::StrCat(options.address, "?db=", options.db);
  return absl::OkStatus();
}

absl::Status ParseUrl(absl::string_view store, absl::string_view url,
                      RedisOptions& options) {
  if (url.empty()) {
    return UrlError(store,
                    "is empty; give e.g. \"redis://127.0.0.1:6379/0\" or "
                    "\"unix:/run/redis/redis-server.sock\"");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return UrlError(store,
                      "contains a space or control character; "
                      "percent-encode it (e.g. %20)");
    }
  }
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "redis://")) {
    return ParseRedisUrl(store, rest, options);
  }
  if (absl::ConsumePrefix(&rest, "unix:")) {
    return ParseUnixUrl(store, rest, options);
  }
  if (absl::StartsWithIgnoreCase(url, "rediss://")) {
    return UrlError(store,
                    "uses rediss:// (Redis over TLS), which kvd does not "
                    "support yet; use redis:// or unix:");
  }
  return UrlError(store,
                  "is not a Redis URL: it must start with \"redis://\" or "
                  "\"unix:\" (lowercase)");
}

}  // namespace

absl::StatusOr<std::string> RedisKeyPrefix(const std::string& store_name) {
  if (store_name.empty() || absl::StrContains(store_name, '}')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "store \"", store_name,
        "\": the name cannot be used in Redis keys (kvd:{NAME}:KEY); it must "
        "be non-empty and must not contain '}'"));
  }
  return absl::StrCat("kvd:{", store_name, "}:");
}

std::string RedisRevisionKey(const std::string& store_name) {
  return RedisStoreKey(store_name, "revision");
}

std::string RedisStoreKey(const std::string& store_name,
                          absl::string_view what) {
  return absl::StrCat("kvd:{", store_name, "}#", what);
}

absl::StatusOr<RedisOptions> RedisOptionsFromSpec(const StoreSpec& spec) {
  RedisOptions options;
  options.store_name = spec.name;
  KV_ASSIGN_OR_RETURN(options.key_prefix, RedisKeyPrefix(spec.name));
  options.revision_key = RedisRevisionKey(spec.name);
  options.index_key = RedisStoreKey(spec.name, "keys");
  options.expiry_key = RedisStoreKey(spec.name, "expiry");
  options.layout_key = RedisStoreKey(spec.name, "layout");

  auto url = spec.options.find("url");
  if (url == spec.options.end()) {
    return FieldError(spec.name, "url",
                      "is missing; redis stores need one, e.g. url = "
                      "\"redis://127.0.0.1:6379/0\"");
  }
  KV_RETURN_IF_ERROR(ParseUrl(spec.name, url->second, options));

  auto timeout = spec.options.find("timeout");
  if (timeout != spec.options.end()) {
    absl::Duration duration;
    if (!absl::ParseDuration(timeout->second, &duration) ||
        duration <= absl::ZeroDuration() ||
        duration == absl::InfiniteDuration()) {
      return FieldError(spec.name, "timeout",
                        absl::StrCat("is \"", timeout->second,
                                     "\"; give a positive duration such as "
                                     "\"2s\" or \"500ms\""));
    }
    options.timeout = duration;
  }

  auto pool_size = spec.options.find("pool_size");
  if (pool_size != spec.options.end()) {
    int size = 0;
    if (!IsAllDigits(pool_size->second) ||
        !absl::SimpleAtoi(pool_size->second, &size) || size < 1 ||
        size > kMaxPoolSize) {
      return FieldError(
          spec.name, "pool_size",
          absl::StrCat("is \"", pool_size->second,
                       "\"; give a whole number from 1 to ", kMaxPoolSize));
    }
    options.pool_size = size;
  }
  return options;
}

}  // namespace kv
