#ifndef KV_SERVICE_PAGE_TOKEN_H_
#define KV_SERVICE_PAGE_TOKEN_H_

// ListKeys page tokens. A token carries everything needed to continue a
// listing (the store's name, the prefix and the last key returned), so the
// server keeps no state between pages: a token outlives a restart and works
// on any kvd serving the same backend. Tokens are opaque to clients (URL-safe
// base64 of a versioned binary form) but not secret: they hold a key the
// caller has already been shown.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv {

// The token that continues a listing of `store` and `prefix` after `after`.
std::string EncodePageToken(absl::string_view store, absl::string_view prefix,
                            absl::string_view after);

// The key a listing of `store` and `prefix` continues after. Errors are
// InvalidRequestError: for a token that kvd did not issue (or that was
// altered), and for one issued for another store or prefix, naming which.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            absl::string_view store,
                                            absl::string_view prefix);

}  // namespace kv

#endif  // KV_SERVICE_PAGE_TOKEN_H_
