#ifndef KV_SERVICE_ACCESS_TLS_H_
#define KV_SERVICE_ACCESS_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace kv {

// PEM files of kvd's TLS setup, from [server] tls_cert/tls_key/tls_client_ca
// or the --tls-* flags.
struct TlsFiles {
  // The server's certificate chain and private key; both or neither.
  std::string cert;
  std::string key;
  // CA certificates that sign client certificates. When set, every client
  // must present a certificate this CA verifies (mTLS).
  std::string client_ca;

  bool enabled() const { return !cert.empty() || !key.empty(); }
};

// The server credentials for `files`: plaintext when TLS is not enabled,
// else gRPC's SslServerCredentials, requiring and verifying client
// certificates when a client CA is given. Errors name the file or flag at
// fault: a certificate without its key (or the reverse), a client CA without
// a server certificate, an unreadable or empty file, or one that is not PEM.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

}  // namespace kv

#endif  // KV_SERVICE_ACCESS_TLS_H_
