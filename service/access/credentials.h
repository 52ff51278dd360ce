#ifndef KV_SERVICE_ACCESS_CREDENTIALS_H_
#define KV_SERVICE_ACCESS_CREDENTIALS_H_

#include <sys/stat.h>
#include <sys/types.h>

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

// Which token files kvd accepts, judged on the file a path finally names
// (symlinks followed, as the kubelet mounts each Secret key as
// KEY -> ..data/KEY -> ..TIMESTAMP/KEY): `info` is its stat(2), `kvd_uid`
// the effective uid of kvd. In this order, refuses with a message naming
// `path`, the mode in octal and the remedy:
// - anything but a regular file;
// - mode bits for others (mode & 0007): every user could read or change it
//   ("chmod 600");
// - group write (mode & 0020): the group could change it ("chmod 640");
// - an owner other than root or kvd's own uid: that user could change the
//   token or its mode ("chown").
// Group read is accepted: the owner is kvd itself or root, who chose the
// group. That is what the kubelet makes of a Secret volume with fsGroup
// (root:FSGROUP, defaultMode 0440), and what PostgreSQL accepts for its key
// file (0640, owned by root).
absl::Status CheckTokenFilePermissions(const std::string& path,
                                       const struct stat& info, uid_t kvd_uid);

// Reads the token in the file at `path` and returns its digest. Leading and
// trailing whitespace (the newline of `openssl rand -hex 32 > file`) is not
// part of the token. Refuses, with a message naming the file: a missing or
// unreadable file, one that CheckTokenFilePermissions refuses, an empty token,
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

// One client whose token a reload replaced, by digest (never the token).
struct TokenRotation {
  std::string client;
  TokenDigest before;
  TokenDigest after;
};

// The current CredentialTable, replaced as a whole by Reload (on SIGHUP and
// on every token poll), so a call sees either the old tokens or the new ones.
// Thread-safe; reloads are serialized, so two at once cannot put an older
// reading back.
class CredentialStore {
 public:
  static absl::StatusOr<std::unique_ptr<CredentialStore>> Load(
      std::vector<ClientSpec> clients);

  // Re-reads every token file and compares the digests with the current
  // table's. Unchanged: the table stays as it is and the result is empty.
  // Changed: the new table replaces the old one and the result lists each
  // client whose token changed. On failure the old table stays and the error
  // says why.
  absl::StatusOr<std::vector<TokenRotation>> Reload();

  std::shared_ptr<const CredentialTable> Current() const;

 private:
  CredentialStore(std::vector<ClientSpec> clients,
                  std::shared_ptr<const CredentialTable> table)
      : clients_(std::move(clients)), table_(std::move(table)) {}

  const std::vector<ClientSpec> clients_;
  // Held for a whole Reload; mutex_ only for reading or swapping table_.
  absl::Mutex reload_mutex_ ABSL_ACQUIRED_BEFORE(mutex_);
  mutable absl::Mutex mutex_;
  std::shared_ptr<const CredentialTable> table_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace kv

#endif  // KV_SERVICE_ACCESS_CREDENTIALS_H_
