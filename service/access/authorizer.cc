#include "service/access/authorizer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/errors/kv_error.h"

namespace kv {
namespace {

constexpr char kBearerScheme[] = "bearer ";

}  // namespace

Authorizer::Authorizer(const std::vector<ClientSpec>& clients,
                       const CredentialStore* tokens)
    : anonymous_(clients.empty()), tokens_(tokens) {
  for (const ClientSpec& client : clients) {
    auto& grants = grants_[client.name];
    for (const std::string& store : client.read_only_stores) {
      grants[store] = StoreAccess::kReadOnly;
    }
    // Config refuses a store in both lists; should one get here, the wider
    // grant wins.
    for (const std::string& store : client.key_value_stores) {
      grants[store] = StoreAccess::kReadWrite;
    }
    if (!client.certificate_identity.empty()) {
      certificate_clients_[client.certificate_identity] = client.name;
      any_certificate_identity_ = true;
    }
  }
}

absl::StatusOr<std::string> Authorizer::Authenticate(
    const CallerCredentials& caller) const {
  if (anonymous_) return std::string();
  const std::string* by_certificate = nullptr;
  for (const std::string& identity : caller.certificate_identities) {
    auto it = certificate_clients_.find(identity);
    if (it == certificate_clients_.end()) continue;
    if (by_certificate != nullptr && *by_certificate != it->second) {
      return absl::UnauthenticatedError(absl::StrCat(
          "the client certificate matches two clients, \"", *by_certificate,
          "\" and \"", it->second, "\"; give it one identity"));
    }
    by_certificate = &it->second;
  }
  if (caller.authorization.has_value()) {
    const absl::string_view value = *caller.authorization;
    if (value.size() <= sizeof(kBearerScheme) - 1 ||
        !absl::StartsWithIgnoreCase(value, kBearerScheme)) {
      return absl::UnauthenticatedError(
          "the authorization metadata must be \"Bearer <token>\"");
    }
    const absl::string_view token =
        absl::StripAsciiWhitespace(value.substr(sizeof(kBearerScheme) - 1));
    std::shared_ptr<const CredentialTable> table =
        tokens_ == nullptr ? nullptr : tokens_->Current();
    const std::string* by_token =
        table == nullptr ? nullptr : table->Find(token);
    if (by_token == nullptr) return absl::UnauthenticatedError("unknown token");
    if (by_certificate != nullptr && *by_certificate != *by_token) {
      return absl::UnauthenticatedError(
          "the bearer token and the client certificate identify different "
          "clients");
    }
    return *by_token;
  }
  if (by_certificate != nullptr) return *by_certificate;
  return absl::UnauthenticatedError(
      any_certificate_identity_
          ? "no credential: send authorization: Bearer <token>, or connect "
            "with a client certificate of a configured client"
          : "no credential: send authorization: Bearer <token>");
}

absl::StatusOr<StoreAccess> Authorizer::Authorize(
    const std::string& principal, absl::string_view store) const {
  if (anonymous_) return StoreAccess::kReadWrite;
  auto client = grants_.find(principal);
  if (client != grants_.end()) {
    auto grant = client->second.find(store);
    if (grant != client->second.end()) return grant->second;
  }
  return AccessDeniedError(store);
}

}  // namespace kv
