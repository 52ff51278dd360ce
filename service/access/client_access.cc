#include "service/access/client_access.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/access/listen_address.h"
#include "spdlog/spdlog.h"

namespace kv {
namespace {

void LogTokens(const CredentialStore& tokens, absl::string_view prefix) {
  for (const CredentialTable::Entry& entry : tokens.Current()->entries()) {
    spdlog::info("{}client \"{}\": token {}", std::string(prefix), entry.client,
                 Fingerprint(entry.digest));
  }
}

}  // namespace

absl::StatusOr<ClientAccess> SetUpClientAccess(
    const std::vector<ClientSpec>& clients, const std::string& listen,
    const TlsFiles& tls, bool insecure_allow_remote) {
  const bool local_only = IsLocalOnlyAddress(listen);
  ClientAccess access;
  if (clients.empty()) {
    if (local_only) return access;
    if (!insecure_allow_remote) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing to listen on ", listen,
          ": without [[client]] entries in the config every caller may read "
          "and write every store, so kvd listens only on loopback "
          "(127.0.0.0/8, [::1], localhost) or a unix socket. Configure "
          "[[client]] tokens (docs/security.md), or pass "
          "--insecure-allow-remote if the network is trusted"));
    }
    spdlog::warn(
        "--insecure-allow-remote: anyone who reaches {} may read and write "
        "every store",
        listen);
    return access;
  }
  for (const ClientSpec& client : clients) {
    if (!client.certificate_identity.empty() && tls.client_ca.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad config: ", client.where, ": [[client]] \"", client.name,
          "\" has a certificate_identity, but kvd does not ask for client "
          "certificates: set [server] tls_client_ca or --tls-client-ca"));
    }
  }
  absl::StatusOr<std::unique_ptr<CredentialStore>> tokens =
      CredentialStore::Load(clients);
  if (!tokens.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad config: ", tokens.status().message()));
  }
  access.tokens = *std::move(tokens);
  access.authorizer =
      std::make_unique<Authorizer>(clients, access.tokens.get());
  LogTokens(*access.tokens, "");
  if (!local_only && !tls.enabled()) {
    spdlog::warn(
        "listening on {} without TLS: bearer tokens cross the network in "
        "plaintext; set --tls-cert/--tls-key (docs/security.md)",
        listen);
  }
  return access;
}

absl::Status ReloadTokens(const ClientAccess& access, TokenReloadCause cause) {
  const bool signal = cause == TokenReloadCause::kSignal;
  const char* prefix = signal ? "SIGHUP: " : "token poll: ";
  if (access.tokens == nullptr) {
    if (signal) {
      spdlog::info("SIGHUP: no [[client]] entries; no tokens to reload");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<TokenRotation>> rotations =
      access.tokens->Reload();
  if (!rotations.ok()) {
    if (signal) {
      spdlog::error(
          "SIGHUP: token reload failed, keeping the previous tokens: {}",
          std::string(rotations.status().message()));
    }
    return rotations.status();
  }
  if (rotations->empty()) {
    if (signal) {
      spdlog::info("SIGHUP: token files unchanged ({} client token(s))",
                   access.tokens->Current()->size());
    }
    return absl::OkStatus();
  }
  for (const TokenRotation& rotation : *rotations) {
    spdlog::info("{}client \"{}\": token rotated {} -> {}", prefix,
                 rotation.client, Fingerprint(rotation.before),
                 Fingerprint(rotation.after));
  }
  return absl::OkStatus();
}

}  // namespace kv
