#include "service/list_operations.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "service/errors/kv_error.h"
#include "service/page_token.h"
#include "service/request_validation.h"
#include "store/driver.h"
#include "store/status_macros.h"

namespace kv {
namespace operations {
namespace {

// Each key costs its bytes plus a tag and a length prefix on the wire.
constexpr size_t kPerKeyFraming = 1 + 5;

absl::Status ValidatePrefix(absl::string_view prefix, size_t max_key_bytes) {
  if (prefix.size() > max_key_bytes) {
    return InvalidRequestError(absl::StrCat(
        "prefix is ", prefix.size(), " bytes; the longest is ", max_key_bytes,
        " (limits.max_key_bytes), as no longer key can exist"));
  }
  absl::Status utf8 = ValidateUtf8(prefix);
  if (!utf8.ok()) {
    return InvalidRequestError(absl::StrCat("prefix ", utf8.message()));
  }
  return absl::OkStatus();
}

// The page size a request asks for, within the limits.
absl::StatusOr<size_t> PageSizeOf(int32_t page_size, const Limits& limits) {
  if (page_size < 0) {
    return InvalidRequestError(
        absl::StrCat("page_size is ", page_size, "; give 0 for the default (",
                     kDefaultPageSize, " keys) or a positive number (at most ",
                     limits.max_page_size, " is used)"));
  }
  // Never more keys than can fit in a response even if each is as long as a
  // key may be, so the driver's page is bounded in bytes too (this only
  // bites where max_key_bytes has been raised far above its default).
  const size_t fit = std::max<size_t>(
      1, limits.max_get_keys_bytes / (limits.max_key_bytes + kPerKeyFraming));
  const size_t asked =
      page_size == 0 ? kDefaultPageSize : static_cast<size_t>(page_size);
  return std::min({asked, limits.max_page_size, fit});
}

}  // namespace

absl::StatusOr<v1::GetKeysResponse> GetKeys(OperationContext& context,
                                            const std::string& principal,
                                            const v1::GetKeysRequest& request) {
  KV_ASSIGN_OR_RETURN(OperationContext::ResolvedStore store,
                      context.Resolve(principal, request.store()));
  const size_t max_bytes = context.limits().max_get_keys_bytes;
  v1::GetKeysResponse response;
  size_t response_bytes = 0;
  bool too_large = false;
  absl::Status status = store.driver->ListKeys([&](absl::string_view key) {
    response_bytes += key.size() + kPerKeyFraming;
    if (response_bytes > max_bytes) {
      too_large = true;
      return false;
    }
    response.add_keys(std::string(key));
    return true;
  });
  if (!status.ok()) {
    return context.Observe(store.name,
                           BackendError(store.name, "list keys", status));
  }
  context.Observe(store.name, absl::OkStatus()).IgnoreError();
  if (too_large) {
    return MakeKvError(
        v1::ERROR_CODE_IO, absl::StatusCode::kResourceExhausted,
        absl::StrCat("store ", Quote(store.name), " has more keys than fit in ",
                     "one GetKeys response (", response.keys_size(),
                     " keys listed before reaching the ", max_bytes,
                     "-byte limit); raise limits.max_get_keys_bytes and the "
                     "client's maximum receive message size, or split the "
                     "data across stores"));
  }
  return response;
}

absl::StatusOr<v1::ListKeysResponse> ListKeys(
    OperationContext& context, const std::string& principal,
    const v1::ListKeysRequest& request) {
  KV_ASSIGN_OR_RETURN(OperationContext::ResolvedStore store,
                      context.Resolve(principal, request.store()));
  const Limits& limits = context.limits();
  KV_RETURN_IF_ERROR(ValidatePrefix(request.prefix(), limits.max_key_bytes));
  KV_ASSIGN_OR_RETURN(size_t page_size,
                      PageSizeOf(request.page_size(), limits));
  std::string after;
  if (!request.page_token().empty()) {
    KV_ASSIGN_OR_RETURN(after, DecodePageToken(request.page_token(), store.name,
                                               request.prefix()));
  }
  KeyPageRequest page_request;
  page_request.prefix = request.prefix();
  page_request.after = after;
  page_request.limit = page_size;
  absl::StatusOr<KeyPage> page = store.driver->ListKeyPage(page_request);
  if (!page.ok()) {
    return context.Observe(store.name,
                           BackendError(store.name,
                                        absl::StrCat("list keys with prefix ",
                                                     Quote(request.prefix())),
                                        page.status()));
  }
  context.Observe(store.name, absl::OkStatus()).IgnoreError();
  v1::ListKeysResponse response;
  for (std::string& key : page->keys) response.add_keys(std::move(key));
  if (page->more) {
    response.set_next_page_token(EncodePageToken(
        store.name, request.prefix(), response.keys(response.keys_size() - 1)));
  }
  return response;
}

}  // namespace operations
}  // namespace kv
