#include "tools/kvctl/store_session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/kvctl/call_status.h"

namespace kv::kvctl {

absl::StatusOr<StoreSession> StoreSession::Open(
    std::shared_ptr<grpc::ChannelInterface> channel, absl::string_view store,
    const kvd::Options& options) {
  absl::StatusOr<kvd::Store> opened =
      kvd::Store::Open(store, std::move(channel), options);
  if (!opened.ok()) {
    return CallError(absl::StrCat("open store ", Quote(store)),
                     opened.status());
  }
  return StoreSession(*std::move(opened));
}

absl::StatusOr<std::string> StoreSession::Get(absl::string_view key) {
  absl::StatusOr<std::string> value = store_.Get(key);
  if (!value.ok()) {
    return CallError(
        absl::StrCat("get ", Quote(key), " from store ", Quote(store())),
        value.status());
  }
  return value;
}

absl::Status StoreSession::Set(absl::string_view key, absl::string_view value) {
  absl::Status status = store_.Set(key, value);
  if (!status.ok()) {
    return CallError(
        absl::StrCat("set ", Quote(key), " in store ", Quote(store())), status);
  }
  return status;
}

absl::Status StoreSession::Delete(absl::string_view key) {
  absl::Status status = store_.Delete(key);
  if (!status.ok()) {
    return CallError(
        absl::StrCat("delete ", Quote(key), " from store ", Quote(store())),
        status);
  }
  return status;
}

absl::StatusOr<bool> StoreSession::Exists(absl::string_view key) {
  absl::StatusOr<bool> exists = store_.Exists(key);
  if (!exists.ok()) {
    return CallError(
        absl::StrCat("check ", Quote(key), " in store ", Quote(store())),
        exists.status());
  }
  return exists;
}

absl::StatusOr<std::vector<std::string>> StoreSession::GetKeys() {
  absl::StatusOr<std::vector<std::string>> keys = store_.GetKeys();
  if (!keys.ok()) {
    return CallError(absl::StrCat("list the keys of store ", Quote(store())),
                     keys.status());
  }
  return keys;
}

absl::Status StoreSession::Close() {
  absl::Status status = store_.Close();
  if (!status.ok()) {
    return CallError(absl::StrCat("close store ", Quote(store())), status);
  }
  return status;
}

}  // namespace kv::kvctl
