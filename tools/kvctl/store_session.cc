#include "tools/kvctl/store_session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "clients/cpp/error_code.h"
#include "tools/kvctl/call_status.h"

namespace kv::kvctl {
namespace {

// How a conditional write's action reads: " if at revision N", " if absent".
std::string ConditionText(std::optional<uint64_t> if_revision) {
  if (!if_revision.has_value()) return "";
  if (*if_revision == 0) return " if absent";
  return absl::StrCat(" if at revision ", *if_revision);
}

// `error` (a CallError) with the key's current revision appended when kvd
// sent one, so that a script or a person can retry from it.
absl::Status WithCurrentRevision(const absl::Status& error) {
  const std::optional<uint64_t> current = kvd::CurrentRevisionOf(error);
  if (!current.has_value()) return error;
  return Reworded(error,
                  absl::StrCat(error.message(), "; current revision ", *current,
                               *current == 0 ? ": the key is absent" : ""));
}

}  // namespace

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

absl::Status StoreSession::Set(absl::string_view key, absl::string_view value,
                               std::chrono::milliseconds ttl) {
  return SetIf(key, value, std::nullopt, ttl).status();
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

absl::StatusOr<kvd::Versioned> StoreSession::GetEntry(absl::string_view key) {
  absl::StatusOr<kvd::Versioned> entry = store_.GetEntry(key);
  if (!entry.ok()) {
    return CallError(
        absl::StrCat("get ", Quote(key), " from store ", Quote(store())),
        entry.status());
  }
  return entry;
}

absl::StatusOr<uint64_t> StoreSession::SetIf(
    absl::string_view key, absl::string_view value,
    std::optional<uint64_t> if_revision,
    std::optional<std::chrono::milliseconds> ttl) {
  absl::StatusOr<uint64_t> revision =
      ttl.has_value() ? store_.SetIf(key, value, if_revision, *ttl)
                      : store_.SetIf(key, value, if_revision);
  if (!revision.ok()) {
    return WithCurrentRevision(
        CallError(absl::StrCat("set ", Quote(key), " in store ", Quote(store()),
                               ConditionText(if_revision)),
                  revision.status()));
  }
  return revision;
}

absl::StatusOr<uint64_t> StoreSession::DeleteIf(
    absl::string_view key, std::optional<uint64_t> if_revision) {
  absl::StatusOr<uint64_t> revision = store_.DeleteIf(key, if_revision);
  if (!revision.ok()) {
    return WithCurrentRevision(
        CallError(absl::StrCat("delete ", Quote(key), " from store ",
                               Quote(store()), ConditionText(if_revision)),
                  revision.status()));
  }
  return revision;
}

absl::StatusOr<kvd::Counter> StoreSession::Increment(absl::string_view key,
                                                     int64_t delta) {
  absl::StatusOr<kvd::Counter> counter = store_.Increment(key, delta);
  if (!counter.ok()) {
    return CallError(absl::StrCat("increment ", Quote(key), " by ", delta,
                                  " in store ", Quote(store())),
                     counter.status());
  }
  return counter;
}

absl::StatusOr<kvd::StoreInfo> StoreSession::Describe() {
  absl::StatusOr<kvd::StoreInfo> info = store_.Describe();
  if (!info.ok()) {
    return CallError(absl::StrCat("describe store ", Quote(store())),
                     info.status());
  }
  return info;
}

absl::StatusOr<kvd::KeyPage> StoreSession::ListKeysPage(
    absl::string_view prefix, int32_t page_size, absl::string_view page_token) {
  absl::StatusOr<kvd::KeyPage> page =
      store_.ListKeysPage(prefix, page_size, page_token);
  if (!page.ok()) {
    return CallError(
        prefix.empty()
            ? absl::StrCat("list the keys of store ", Quote(store()))
            : absl::StrCat("list the keys starting with ", Quote(prefix),
                           " in store ", Quote(store())),
        page.status());
  }
  return page;
}

absl::StatusOr<std::vector<kvd::Entry>> StoreSession::GetMany(
    absl::Span<const std::string> keys) {
  absl::StatusOr<std::vector<kvd::Entry>> entries = store_.GetMany(keys);
  if (!entries.ok()) {
    return CallError(
        absl::StrCat(
            "get ", keys.size(), keys.size() == 1 ? " key" : " keys",
            keys.empty() ? "" : absl::StrCat(" (", Quote(keys[0]), ", ...)"),
            " from store ", Quote(store())),
        entries.status());
  }
  return entries;
}

absl::Status StoreSession::Close() {
  absl::Status status = store_.Close();
  if (!status.ok()) {
    return CallError(absl::StrCat("close store ", Quote(store())), status);
  }
  return status;
}

}  // namespace kv::kvctl
