#include "service/access/credentials.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kv {
namespace {

// A token file is a few dozen bytes; anything much larger is not one.
constexpr size_t kMaxTokenFileBytes = 64 << 10;

absl::Status TokenFileError(const std::string& path, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("token file ", path, " ", why));
}

// Reads at most kMaxTokenFileBytes + 1 bytes of `fd`.
absl::StatusOr<std::string> ReadAll(int fd, const std::string& path) {
  std::string text;
  char buffer[4096];
  while (text.size() <= kMaxTokenFileBytes) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return TokenFileError(
          path, absl::StrCat("cannot be read: ", std::strerror(errno)));
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

TokenDigest DigestToken(absl::string_view token) {
  TokenDigest digest;
  unsigned int size = 0;
  EVP_Digest(token.data(), token.size(), digest.data(), &size, EVP_sha256(),
             nullptr);
  return digest;
}

std::string Fingerprint(const TokenDigest& digest) {
  const std::string hex = absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest.data()), digest.size()));
  return absl::StrCat("sha256:", hex.substr(0, 12));
}

absl::Status CheckTokenFilePermissions(const std::string& path,
                                       const struct stat& info, uid_t kvd_uid) {
  if (!S_ISREG(info.st_mode)) {
    return TokenFileError(path, "is not a regular file");
  }
  const unsigned mode = info.st_mode & 07777;
  if ((mode & 0007) != 0) {
    return TokenFileError(
        path, absl::StrFormat(
                  "has mode %04o, so every user on the machine may %s "
                  "it; run: chmod 600 %s (for a Kubernetes Secret "
                  "volume: defaultMode: 0440 and the pod's fsGroup)",
                  mode, (mode & 0002) != 0 ? "read or change" : "read", path));
  }
  if ((mode & 0020) != 0) {
    return TokenFileError(
        path, absl::StrFormat("has mode %04o, so members of its group (gid "
                              "%d) may change it; run: chmod 640 %s",
                              mode, info.st_gid, path));
  }
  if (info.st_uid != 0 && info.st_uid != kvd_uid) {
    return TokenFileError(
        path,
        absl::StrFormat("is owned by uid %d, which is neither root nor kvd's "
                        "own user (uid %d), so that user may change it; run: "
                        "chown %d %s (or chown root)",
                        info.st_uid, kvd_uid, kvd_uid, path));
  }
  return absl::OkStatus();
}

absl::StatusOr<TokenDigest> ReadTokenFile(const std::string& path) {
  // open() follows symlinks, so fstat judges the file finally named.
  // O_NONBLOCK: a FIFO in the token's place must not hang kvd in open().
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int error = errno;
    struct stat info;
    if (error == EACCES && stat(path.c_str(), &info) == 0) {
      return TokenFileError(
          path,
          absl::StrFormat(
              "cannot be opened: %s (owner uid %d, group gid %d, mode %04o; "
              "kvd runs as uid %d gid %d: make the file group-readable by "
              "one of kvd's groups, e.g. chgrp %d %s; chmod 640 %s (for a "
              "Kubernetes Secret volume: defaultMode: 0440 and the pod's "
              "fsGroup)",
              std::strerror(error), info.st_uid, info.st_gid,
              info.st_mode & 07777, geteuid(), getegid(), getegid(), path,
              path));
    }
    return TokenFileError(
        path, absl::StrCat("cannot be opened: ", std::strerror(error)));
  }
  struct stat info;
  if (fstat(fd, &info) != 0) {
    const int error = errno;
    close(fd);
    return TokenFileError(
        path, absl::StrCat("cannot be inspected: ", std::strerror(error)));
  }
  if (absl::Status permitted = CheckTokenFilePermissions(path, info, geteuid());
      !permitted.ok()) {
    close(fd);
    return permitted;
  }
  absl::StatusOr<std::string> text = ReadAll(fd, path);
  close(fd);
  if (!text.ok()) return text.status();
  if (text->size() > kMaxTokenFileBytes) {
    return TokenFileError(path, absl::StrCat("is over ", kMaxTokenFileBytes,
                                             " bytes; it should hold one "
                                             "token"));
  }
  const absl::string_view token = absl::StripAsciiWhitespace(*text);
  if (token.empty()) {
    return TokenFileError(path, absl::StrCat("is empty; generate a token "
                                             "with: openssl rand -hex 32 > ",
                                             path));
  }
  for (char c : token) {
    if (c < 0x21 || c > 0x7e) {
      return TokenFileError(path,
                            "holds characters that cannot travel in an "
                            "authorization header (a token is printable "
                            "ASCII without spaces)");
    }
  }
  return DigestToken(token);
}

absl::StatusOr<std::shared_ptr<const CredentialTable>> CredentialTable::Load(
    const std::vector<ClientSpec>& clients) {
  auto table = std::make_shared<CredentialTable>();
  std::vector<const ClientSpec*> owners;
  for (const ClientSpec& client : clients) {
    if (client.token_file.empty()) continue;
    const std::string where =
        absl::StrCat(client.where, ": [[client]] \"", client.name, "\"");
    absl::StatusOr<TokenDigest> digest = ReadTokenFile(client.token_file);
    if (!digest.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " token_file: ", digest.status().message()));
    }
    for (size_t i = 0; i < table->entries_.size(); ++i) {
      if (CRYPTO_memcmp(table->entries_[i].digest.data(), digest->data(),
                        digest->size()) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " has the same token as [[client]] \"",
                         owners[i]->name, "\" (", owners[i]->where,
                         "); every client needs a token of ", "its own"));
      }
    }
    table->entries_.push_back(Entry{client.name, *digest});
    owners.push_back(&client);
  }
  return std::shared_ptr<const CredentialTable>(std::move(table));
}

const std::string* CredentialTable::Find(absl::string_view token) const {
  const TokenDigest digest = DigestToken(token);
  const std::string* found = nullptr;
  // Every entry is compared, whatever matched, so the time taken does not
  // depend on which one did.
  for (const Entry& entry : entries_) {
    const bool same =
        CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0;
    if (same) found = &entry.client;
  }
  return found;
}

absl::StatusOr<std::unique_ptr<CredentialStore>> CredentialStore::Load(
    std::vector<ClientSpec> clients) {
  absl::StatusOr<std::shared_ptr<const CredentialTable>> table =
      CredentialTable::Load(clients);
  if (!table.ok()) return table.status();
  return std::unique_ptr<CredentialStore>(
      new CredentialStore(std::move(clients), *std::move(table)));
}

absl::StatusOr<std::vector<TokenRotation>> CredentialStore::Reload() {
  absl::MutexLock reloading(&reload_mutex_);
  absl::StatusOr<std::shared_ptr<const CredentialTable>> table =
      CredentialTable::Load(clients_);
  if (!table.ok()) return table.status();
  const std::shared_ptr<const CredentialTable> current = Current();
  // Both tables list the same clients (clients_) in the same order.
  std::vector<TokenRotation> rotations;
  for (size_t i = 0; i < (*table)->entries().size(); ++i) {
    const CredentialTable::Entry& before = current->entries()[i];
    const CredentialTable::Entry& after = (*table)->entries()[i];
    if (before.digest != after.digest) {
      rotations.push_back(
          TokenRotation{after.client, before.digest, after.digest});
    }
  }
  if (rotations.empty()) return rotations;
  absl::MutexLock lock(&mutex_);
  table_ = *std::move(table);
  return rotations;
}

std::shared_ptr<const CredentialTable> CredentialStore::Current() const {
  absl::MutexLock lock(&mutex_);
  return table_;
}

}  // namespace kv
