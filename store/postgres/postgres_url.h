#ifndef KV_STORE_POSTGRES_POSTGRES_URL_H_
#define KV_STORE_POSTGRES_POSTGRES_URL_H_

// The `url` field of a "postgres" store, checked before libpq sees it, so a
// typo is a precise config error and the password can be kept out of every
// message.
//
// Accepted: libpq's URI form,
//   postgresql://[user[:password]@][host[:port][,host[:port]...]][/dbname]
//       [?param=value[&...]]
// with `postgres://` as an alias and percent-encoding anywhere. Hosts may be
// names, IPv4, [IPv6] or percent-encoded unix socket directories. Query
// parameters are libpq's connection parameters (sslmode,
// target_session_attrs, ...); libpq itself vets their names.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv {

struct PostgresUrl {
  // The URL as given: what libpq connects with.
  std::string url;
  // The URL with every password (userinfo and `password=` parameter)
  // replaced by `***`: what Location() and messages show.
  std::string redacted;
  // Where the data lives, for messages: "host:port[,host:port]/dbname",
  // e.g. "127.0.0.1:5432/kv". A host without a port shows the `port`
  // parameter or 5432; unix socket directories show as written.
  std::string target;
  // The password as written and as decoded (empty if none). Any of these
  // found in a message from libpq is replaced by `***`.
  std::vector<std::string> secrets;
};

// Parses and checks `url`. On error returns InvalidArgument with a message
// that completes "field url " (e.g. "is not a PostgreSQL URL: ...") and
// never contains the password.
absl::StatusOr<PostgresUrl> ParsePostgresUrl(absl::string_view url);

// Returns `text` with each of `secrets` replaced by `***`, longest first.
std::string ScrubSecrets(absl::string_view text,
                         const std::vector<std::string>& secrets);

}  // namespace kv

#endif  // KV_STORE_POSTGRES_POSTGRES_URL_H_
