#ifndef KV_SERVICE_ACCESS_CLIENT_ACCESS_H_
#define KV_SERVICE_ACCESS_CLIENT_ACCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/access/authorizer.h"
#include "service/access/client_spec.h"
#include "service/access/credentials.h"
#include "service/access/tls.h"

namespace kv {

// The identities and grants one kvd enforces, made from its [[client]]
// entries at startup.
struct ClientAccess {
  // Null in anonymous mode (no clients).
  std::unique_ptr<CredentialStore> tokens;
  // Null in anonymous mode; uses `tokens`, so destroy it first.
  std::unique_ptr<Authorizer> authorizer;
};

// Decides whether kvd may serve `listen` with `clients` and `tls`, and loads
// the clients' tokens. Refuses (InvalidArgument, with a message saying why
// and what to do):
// - anonymous mode (no clients) on an address that is not loopback or a
//   unix socket, unless `insecure_allow_remote`;
// - a client with a certificate_identity when no client CA is set;
// - a token file that cannot be loaded.
// Logs a warning when tokens would cross a non-loopback network in
// plaintext, or when --insecure-allow-remote opens anonymous mode.
absl::StatusOr<ClientAccess> SetUpClientAccess(
    const std::vector<ClientSpec>& clients, const std::string& listen,
    const TlsFiles& tls, bool insecure_allow_remote);

// What made kvd re-read its token files.
enum class TokenReloadCause {
  kSignal,  // SIGHUP: an operator asked, so every outcome is logged.
  kPoll,    // --token-reload-interval: quiet unless a token changed.
};

// Re-reads every token file (CredentialStore::Reload), the one reload path
// for SIGHUP and the poll. Logs each client whose token changed, by its old
// and new fingerprints (never the token). For kSignal it also logs an
// unchanged table and a failure (the previous tokens stay); for kPoll a
// failure is only returned, for the poller to log once (TokenPoller).
// Returns the reload's error; OK without [[client]] entries.
absl::Status ReloadTokens(const ClientAccess& access, TokenReloadCause cause);

}  // namespace kv

#endif  // KV_SERVICE_ACCESS_CLIENT_ACCESS_H_
