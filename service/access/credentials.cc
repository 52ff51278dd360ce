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

absl::StatusOr<TokenDigest> ReadTokenFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return TokenFileError(
        path, absl::StrCat("cannot be opened: ", std::strerror(errno)));
  }
  struct stat info;
  if (fstat(fd, &info) != 0) {
    const int error = errno;
    close(fd);
    return TokenFileError(
        path, absl::StrCat("cannot be inspected: ", std::strerror(error)));
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return TokenFileError(path, "is not a regular file");
  }
  const unsigned mode = info.st_mode & 07777;
  if ((mode & 077) != 0) {
    close(fd);
    return TokenFileError(
        path, absl::StrFormat("has mode %04o, so users other than its owner "
                              "may read or change it; run: chmod 600 %s",
                              mode, path));
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

absl::Status CredentialStore::Reload() {
  absl::StatusOr<std::shared_ptr<const CredentialTable>> table =
      CredentialTable::Load(clients_);
  if (!table.ok()) return table.status();
  absl::MutexLock lock(&mutex_);
  table_ = *std::move(table);
  return absl::OkStatus();
}

std::shared_ptr<const CredentialTable> CredentialStore::Current() const {
  absl::MutexLock lock(&mutex_);
  return table_;
}

}  // namespace kv
