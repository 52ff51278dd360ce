#ifndef KV_SERVICE_ACCESS_CREDENTIALS_H_
#define KV_SERVICE_ACCESS_CREDENTIALS_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "service/access/client_spec.h"

namespace kv {

// Bearer tokens are kept only as their SHA-256 digests (OpenSSL libcrypto);
// the token itself is never stored after hashing, nor logged.
using TokenDigest = std::array<unsigned char, 32>;

TokenDigest DigestToken(absl::string_view token);

// A short, non-secret name for a digest in logs: "sha256:" and its first 12
// hex digits.
std::string Fingerprint(const TokenDigest& digest);

// Reads the token in the file at `path` and returns its digest. Leading and
// trailing whitespace (the newline of `openssl rand -hex 32 > file`) is not
// part of the token. Refuses, with a message naming the file: a missing or
// unreadable file, one that is not a regular file, one whose mode lets group
// or others read or write it (the message says "chmod 600"), an empty token,
// and a token with characters that cannot travel in an authorization header
// (anything but printable ASCII without spaces).
absl::StatusOr<TokenDigest> ReadTokenFile(const std::string& path);

// The bearer tokens of every client, immutable once loaded.
class CredentialTable {
 public:
  // Reads the token file of every client that has one. Errors are
  // InvalidArgument and start with the client's "FILE:LINE: [[client]]
  // \"NAME\"". Two clients with the same token are an error.
  static absl::StatusOr<std::shared_ptr<const CredentialTable>> Load(
      const std::vector<ClientSpec>& clients);

  // The name of the client whose token is `token`, or nullptr. The digest
  // of `token` is compared with every client's in constant time
  // (CRYPTO_memcmp), so timing tells nothing about which client, if any,
  // matched or how much of a digest did.
  const std::string* Find(absl::string_view token) const;

  size_t size() const { return entries_.size(); }

  struct Entry {
    std::string client;
    TokenDigest digest;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// The current CredentialTable, replaced as a whole by Reload (on SIGHUP), so
// a call sees either the old tokens or the new ones. Thread-safe.
class CredentialStore {
 public:
  static absl::StatusOr<std::unique_ptr<CredentialStore>> Load(
      std::vector<ClientSpec> clients);

  // Re-reads every token file. On success the new table replaces the old
  // one; on failure the old table stays and the error says why.
  absl::Status Reload();

  std::shared_ptr<const CredentialTable> Current() const;

 private:
  CredentialStore(std::vector<ClientSpec> clients,
                  std::shared_ptr<const CredentialTable> table)
      : clients_(std::move(clients)), table_(std::move(table)) {}

  const std::vector<ClientSpec> clients_;
  mutable absl::Mutex mutex_;
  std::shared_ptr<const CredentialTable> table_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace kv

#endif  // KV_SERVICE_ACCESS_CREDENTIALS_H_
