#ifndef KV_SERVICE_ACCESS_CLIENT_SPEC_H_
#define KV_SERVICE_ACCESS_CLIENT_SPEC_H_

#include <string>
#include <vector>

namespace kv {

// One [[client]] entry of the runtime config: who the client is, how it
// proves it, and which stores it may use. docs/security.md explains them.
struct ClientSpec {
  // Unique, non-empty; the principal that owns the client's handles.
  std::string name;
  // File holding the client's bearer token (absolute or resolved against the
  // config file's directory); empty if the client has no token.
  std::string token_file;
  // The SAN (DNS or URI) or CN of the client certificate that identifies
  // this client under mTLS; empty if the client has none.
  std::string certificate_identity;
  // Stores the client may read and write.
  std::vector<std::string> key_value_stores;
  // Stores the client may only read (Get, Exists, GetKeys). A store is in at
  // most one of the two lists.
  std::vector<std::string> read_only_stores;
  // "FILE:LINE" of the entry, for messages about it after parsing (token
  // file problems found on reload).
  std::string where;
};

}  // namespace kv

#endif  // KV_SERVICE_ACCESS_CLIENT_SPEC_H_
