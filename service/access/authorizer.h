#ifndef KV_SERVICE_ACCESS_AUTHORIZER_H_
#define KV_SERVICE_ACCESS_AUTHORIZER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/access/client_spec.h"
#include "service/access/credentials.h"

namespace kv {

// What a caller presented, as the transport saw it.
struct CallerCredentials {
  // The value of the "authorization" metadata, if sent.
  std::optional<std::string> authorization;
  // The SANs (DNS, URI, ...) and CN of the caller's client certificate, if
  // the TLS handshake verified one against the client CA.
  std::vector<std::string> certificate_identities;
};

// How a principal may use a store.
enum class StoreAccess { kReadWrite, kReadOnly };

// Who a caller is (authentication) and which stores it may use
// (authorization), from the runtime config's [[client]] entries.
//
// Without clients, kvd is in anonymous mode: every caller is the anonymous
// principal "", whatever it sends, and may read and write every store.
//
// With clients, a caller is identified by:
// - its bearer token ("authorization: Bearer <token>"), compared with the
//   tokens of the CredentialStore, which may be reloaded at any time;
// - or a verified client certificate whose SAN or CN equals a client's
//   certificate_identity.
// A token, when sent, is always checked: an unknown token is refused even
// if the certificate would identify a client, and a token and a certificate
// that identify different clients are refused. A certificate that matches
// no client is ignored (the token decides).
//
// Thread-safe (immutable; the token table swaps atomically).
class Authorizer {
 public:
  // An authorizer for anonymous mode.
  Authorizer() = default;
  // `tokens` must outlive the authorizer; it may be null only if no client
  // has a token_file.
  Authorizer(const std::vector<ClientSpec>& clients,
             const CredentialStore* tokens);

  bool anonymous() const { return anonymous_; }

  // The caller's principal (its client's name), or UNAUTHENTICATED with a
  // message that never repeats the token.
  absl::StatusOr<std::string> Authenticate(
      const CallerCredentials& caller) const;

  // How `principal` may use `store`, or ACCESS_DENIED if it has no grant.
  // Says nothing about whether the store exists.
  absl::StatusOr<StoreAccess> Authorize(const std::string& principal,
                                        absl::string_view store) const;

 private:
  bool anonymous_ = true;
  bool any_certificate_identity_ = false;
  const CredentialStore* tokens_ = nullptr;
  // certificate_identity -> client name.
  absl::flat_hash_map<std::string, std::string> certificate_clients_;
  // client name -> store -> access.
  absl::flat_hash_map<std::string,
                      absl::flat_hash_map<std::string, StoreAccess>>
      grants_;
};

}  // namespace kv

#endif  // KV_SERVICE_ACCESS_AUTHORIZER_H_
