// kvd::Store's paged listing: ListKeysPage (one page) and ListKeys (every
// key, a page at a time), blocking and on the callback API.

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "clients/cpp/call.h"
#include "clients/cpp/messages.h"
#include "clients/cpp/store.h"

namespace kvd {
namespace {

using internal::Invoke;
using internal::InvokeAsync;

// A listing must move on: a page that ends with the token it was asked with
// would be fetched again forever.
absl::Status CheckProgress(const std::string& asked, const KeyPage& page) {
  if (page.next_page_token.empty() || page.next_page_token != asked ||
      asked.empty()) {
    return absl::OkStatus();
  }
  return absl::InternalError(
      absl::StrCat("kvd answered ListKeys with the page token it was given (",
                   page.keys.size(), " keys); the listing would not end"));
}

// What ListKeysAsync carries from one page to the next.
struct Listing {
  std::shared_ptr<kv::v1::KeyValue::Stub> stub;
  Options options;
  std::string address;
  uint32_t handle = 0;
  std::string prefix;
  int32_t page_size = 0;
  KeyVisitor fn;
  Store::StatusCallback done;
  CallOptions call;
};

// Fetches the page at `token`, gives its keys to the listing's fn, then the
// next page, until the last page, fn's false, or an error.
void FetchPage(std::shared_ptr<Listing> listing, std::string token) {
  kv::v1::ListKeysRequest request = internal::ListKeysRequestFor(
      listing->handle, listing->prefix, listing->page_size, token);
  InvokeAsync<kv::v1::ListKeysRequest, kv::v1::ListKeysResponse>(
      listing->stub, listing->options, listing->call, listing->address,
      std::move(request), KVD_ASYNC_METHOD(ListKeys),
      [listing, token = std::move(token)](const absl::Status& status,
                                          kv::v1::ListKeysResponse& response) {
        if (!status.ok()) return listing->done(status);
        KeyPage page = internal::KeyPageFrom(response);
        if (absl::Status moving = CheckProgress(token, page); !moving.ok()) {
          return listing->done(moving);
        }
        for (const std::string& key : page.keys) {
          if (!listing->fn(key)) return listing->done(absl::OkStatus());
        }
        if (page.next_page_token.empty()) {
          return listing->done(absl::OkStatus());
        }
        FetchPage(listing, std::move(page.next_page_token));
      });
}

}  // namespace

absl::StatusOr<KeyPage> Store::ListKeysPage(absl::string_view prefix,
                                            int32_t page_size,
                                            absl::string_view page_token,
                                            const CallOptions& call) {
  const kv::v1::ListKeysRequest request =
      internal::ListKeysRequestFor(handle(), prefix, page_size, page_token);
  kv::v1::ListKeysResponse response;
  absl::Status status =
      Invoke(options_, call, address_, [&](grpc::ClientContext* context) {
        return stub_->ListKeys(context, request, &response);
      });
  if (!status.ok()) return status;
  return internal::KeyPageFrom(response);
}

absl::Status Store::ListKeys(absl::string_view prefix, int32_t page_size,
                             const KeyVisitor& fn, const CallOptions& call) {
  std::string token;
  while (true) {
    absl::StatusOr<KeyPage> page = ListKeysPage(prefix, page_size, token, call);
    if (!page.ok()) return page.status();
    if (absl::Status moving = CheckProgress(token, *page); !moving.ok()) {
      return moving;
    }
    for (const std::string& key : page->keys) {
      if (!fn(key)) return absl::OkStatus();
    }
    if (page->next_page_token.empty()) return absl::OkStatus();
    token = std::move(page->next_page_token);
  }
}

void Store::ListKeysPageAsync(absl::string_view prefix, int32_t page_size,
                              absl::string_view page_token,
                              Callback<KeyPage> done, const CallOptions& call) {
  InvokeAsync<kv::v1::ListKeysRequest, kv::v1::ListKeysResponse>(
      stub_, options_, call, address_,
      internal::ListKeysRequestFor(handle(), prefix, page_size, page_token),
      KVD_ASYNC_METHOD(ListKeys),
      [done = std::move(done)](const absl::Status& status,
                               kv::v1::ListKeysResponse& response) {
        if (!status.ok()) return done(status);
        done(internal::KeyPageFrom(response));
      });
}

void Store::ListKeysAsync(absl::string_view prefix, int32_t page_size,
                          KeyVisitor fn, StatusCallback done,
                          const CallOptions& call) {
  auto listing = std::make_shared<Listing>(
      Listing{stub_, options_, address_, handle(), std::string(prefix),
              page_size, std::move(fn), std::move(done), call});
  FetchPage(std::move(listing), "");
}

}  // namespace kvd
