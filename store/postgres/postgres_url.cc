#include "store/postgres/postgres_url.h"

#include <postgresql/libpq-fe.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace kv {
namespace {

constexpr absl::string_view kRedacted = "***";

// Decodes %XX escapes. Returns nullopt on a malformed escape.
std::optional<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() || !absl::ascii_isxdigit(text[i + 1]) ||
        !absl::ascii_isxdigit(text[i + 2])) {
      return std::nullopt;
    }
    auto hex = [](char c) {
      return absl::ascii_isdigit(c) ? c - '0'
                                    : absl::ascii_tolower(c) - 'a' + 10;
    };
    out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
    i += 2;
  }
  return out;
}

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("is not a valid PostgreSQL URL: ", why));
}

bool IsPort(absl::string_view text) {
  int port = 0;
  return !text.empty() && text.size() <= 5 &&
         std::all_of(text.begin(), text.end(), absl::ascii_isdigit) &&
         absl::SimpleAtoi(text, &port) && port >= 1 && port <= 65535;
}

}  // namespace

std::string ScrubSecrets(absl::string_view text,
                         const std::vector<std::string>& secrets) {
  std::vector<std::string> sorted = secrets;
  std::sort(sorted.begin(), sorted.end(),
            [](const std::string& a, const std::string& b) {
              return a.size() > b.size();
            });
  std::string out(text);
  for (const std::string& secret : sorted) {
    if (secret.empty()) continue;
    out = absl::StrReplaceAll(out, {{secret, kRedacted}});
  }
  return out;
}

absl::StatusOr<PostgresUrl> ParsePostgresUrl(absl::string_view url) {
  PostgresUrl parsed;
  parsed.url = std::string(url);
  if (url.empty()) {
    return absl::InvalidArgumentError(
        "is empty; give a URL like postgresql://user:password@host:5432/db");
  }
  // Never echo the URL itself below this point: it may hold the password.
  absl::string_view prefix;
  for (absl::string_view scheme : {"postgresql://", "postgres://"}) {
    if (absl::StartsWith(url, scheme)) prefix = scheme;
  }
  if (prefix.empty()) {
    return absl::InvalidArgumentError(
        "is not a PostgreSQL URL: it must start with postgresql:// or "
        "postgres:// (key=value connection strings are not accepted)");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Malformed(
          "it contains a space or control character; "
          "percent-encode it (a space is %20)");
    }
  }
  absl::string_view rest = url.substr(prefix.size());

  // User info. libpq takes everything up to the first '@' that comes before
  // the first '/', and so does this parser, so both agree on what the
  // password is.
  std::string user;
  std::string user_raw;
  bool has_password = false;
  const size_t slash = rest.find('/');
  const size_t at = rest.find('@');
  if (at != absl::string_view::npos &&
      (slash == absl::string_view::npos || at < slash)) {
    absl::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    if (userinfo.find('?') != absl::string_view::npos) {
      return Malformed("percent-encode '@' in query parameters as %40");
    }
    absl::string_view password_raw;
    const size_t colon = userinfo.find(':');
    user_raw = std::string(userinfo.substr(0, colon));
    if (colon != absl::string_view::npos) {
      has_password = true;
      password_raw = userinfo.substr(colon + 1);
    }
    std::optional<std::string> password = PercentDecode(password_raw);
    if (!password.has_value()) {
      return Malformed("bad percent-encoding in the password");
    }
    parsed.secrets = {std::string(password_raw), *password};
    std::optional<std::string> decoded_user = PercentDecode(user_raw);
    if (!decoded_user.has_value()) {
      return Malformed("bad percent-encoding in the user name");
    }
    user = *decoded_user;
  }

  // Hosts, up to the path or the query.
  const size_t host_end = rest.find_first_of("/?");
  absl::string_view hostspec = rest.substr(0, host_end);
  rest.remove_prefix(host_end == absl::string_view::npos ? rest.size()
                                                         : host_end);
  if (hostspec.find('@') != absl::string_view::npos) {
    // A second '@': most likely one inside the password, which libpq would
    // split at. Do not show the host part: it holds the rest of it.
    return Malformed(
        "more than one '@' before the host; percent-encode '@' in the user "
        "name or password as %40");
  }
  struct Host {
    std::string name;
    std::string port;  // Empty if not given.
  };
  std::vector<Host> hosts;
  if (!hostspec.empty()) {
    for (absl::string_view entry : absl::StrSplit(hostspec, ',')) {
      Host host;
      absl::string_view name = entry;
      absl::string_view port;
      if (absl::StartsWith(entry, "[")) {
        const size_t close = entry.find(']');
        if (close == absl::string_view::npos) {
          return Malformed(absl::StrCat("host \"", entry,
                                        "\" has '[' without a closing ']'"));
        }
        name = entry.substr(0, close + 1);
        absl::string_view after = entry.substr(close + 1);
        if (!after.empty() && !absl::ConsumePrefix(&after, ":")) {
          return Malformed(absl::StrCat("unexpected text after host ", name));
        }
        port = after;
        if (entry.size() > close + 1 && port.empty()) {
          return Malformed(absl::StrCat("host ", name, " has an empty port"));
        }
      } else {
        const size_t colon = entry.find(':');
        if (colon != absl::string_view::npos) {
          name = entry.substr(0, colon);
          port = entry.substr(colon + 1);
          if (port.empty()) {
            return Malformed(
                absl::StrCat("host \"", name, "\" has an empty port"));
          }
        }
      }
      if (name.empty()) {
        return Malformed("an empty host name in the host list");
      }
      if (!port.empty() && !IsPort(port)) {
        return Malformed(absl::StrCat("port \"", port,
                                      "\" is not a number from 1 to 65535"));
      }
      std::optional<std::string> decoded = PercentDecode(name);
      if (!decoded.has_value()) {
        return Malformed(
            absl::StrCat("bad percent-encoding in host \"", name, "\""));
      }
      host.name = *decoded;
      host.port = std::string(port);
      hosts.push_back(std::move(host));
    }
  }

  // Database name.
  std::string path_raw;
  std::string dbname;
  if (absl::StartsWith(rest, "/")) {
    const size_t query = rest.find('?');
    path_raw = std::string(rest.substr(0, query));
    rest.remove_prefix(query == absl::string_view::npos ? rest.size() : query);
    std::optional<std::string> decoded =
        PercentDecode(absl::string_view(path_raw).substr(1));
    if (!decoded.has_value()) {
      return Malformed("bad percent-encoding in the database name");
    }
    dbname = *decoded;
  }

  // Query parameters.
  std::vector<std::string> redacted_params;
  std::string port_param;
  std::string host_param;
  if (absl::ConsumePrefix(&rest, "?")) {
    for (absl::string_view param : absl::StrSplit(rest, '&')) {
      const size_t equals = param.find('=');
      if (param.empty() || equals == absl::string_view::npos || equals == 0) {
        return Malformed(
            "query parameters must be written name=value, joined by '&'");
      }
      std::optional<std::string> key = PercentDecode(param.substr(0, equals));
      absl::string_view value_raw = param.substr(equals + 1);
      std::optional<std::string> value = PercentDecode(value_raw);
      if (!key.has_value() || !value.has_value()) {
        return Malformed("bad percent-encoding in a query parameter");
      }
      if (*key == "password") {
        parsed.secrets.push_back(std::string(value_raw));
        parsed.secrets.push_back(*value);
        redacted_params.push_back(
            absl::StrCat(param.substr(0, equals + 1), kRedacted));
        continue;
      }
      if (*key == "port") port_param = *value;
      if (*key == "host") host_param = *value;
      if (*key == "dbname") dbname = *value;
      redacted_params.push_back(std::string(param));
    }
  }

  // Let libpq vet what this parser does not know: parameter names, and the
  // syntax details where the two might differ.
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(parsed.url.c_str(), &error);
  if (options == nullptr) {
    std::string detail = error != nullptr
                             ? std::string(absl::StripAsciiWhitespace(error))
                             : std::string("out of memory");
    PQfreemem(error);
    return Malformed(ScrubSecrets(detail, parsed.secrets));
  }
  PQconninfoFree(options);

  parsed.redacted = absl::StrCat(prefix);
  if (at != absl::string_view::npos &&
      (slash == absl::string_view::npos || at < slash)) {
    absl::StrAppend(&parsed.redacted, user_raw,
                    has_password ? absl::StrCat(":", kRedacted) : "", "@");
  }
  absl::StrAppend(&parsed.redacted, hostspec, path_raw);
  if (!redacted_params.empty()) {
    absl::StrAppend(&parsed.redacted, "?", absl::StrJoin(redacted_params, "&"));
  }

  std::vector<std::string> shown;
  if (hosts.empty()) {
    // libpq's default: its compiled-in unix socket directory.
    hosts.push_back(
        Host{host_param.empty() ? "(default host)" : host_param, ""});
  }
  for (const Host& host : hosts) {
    if (absl::StartsWith(host.name, "/") || absl::StartsWith(host.name, "(")) {
      shown.push_back(host.name);  // A unix socket directory, or the default.
    } else {
      shown.push_back(absl::StrCat(
          host.name, ":",
          !host.port.empty() ? host.port
                             : (!port_param.empty() ? port_param : "5432")));
    }
  }
  parsed.target = absl::StrCat(absl::StrJoin(shown, ","), "/",
                               dbname.empty() ? user : dbname);
  parsed.secrets.erase(
      std::remove(parsed.secrets.begin(), parsed.secrets.end(), std::string()),
      parsed.secrets.end());
  return parsed;
}

}  // namespace kv
