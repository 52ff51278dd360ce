#include "service/page_token.h"

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "service/errors/kv_error.h"

namespace kv {
namespace {

// Layout, before base64: the version byte, then the store name and the
// prefix, each as a 4-byte big-endian length and its bytes, then the last
// key returned (the rest).
constexpr char kVersion = '\x01';

void AppendLengthPrefixed(absl::string_view bytes, std::string& out) {
  const uint32_t size = static_cast<uint32_t>(bytes.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((size >> shift) & 0xff));
  }
  out.append(bytes.data(), bytes.size());
}

bool ConsumeLengthPrefixed(absl::string_view& in, absl::string_view& bytes) {
  if (in.size() < 4) return false;
  uint32_t size = 0;
  for (int i = 0; i < 4; ++i) {
    size = (size << 8) | static_cast<unsigned char>(in[i]);
  }
  in.remove_prefix(4);
  if (size > in.size()) return false;
  bytes = in.substr(0, size);
  in.remove_prefix(size);
  return true;
}

absl::Status NotKvdsToken() {
  return InvalidRequestError(
      "page_token is not a token kvd issued; pass the previous ListKeys "
      "response's next_page_token unchanged, or leave page_token empty for "
      "the first page");
}

}  // namespace

std::string EncodePageToken(absl::string_view store, absl::string_view prefix,
                            absl::string_view after) {
  std::string raw(1, kVersion);
  AppendLengthPrefixed(store, raw);
  AppendLengthPrefixed(prefix, raw);
  raw.append(after.data(), after.size());
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            absl::string_view store,
                                            absl::string_view prefix) {
  std::string raw;
  // Only the canonical form: the decoder forgives stray trailing bits.
  if (!absl::WebSafeBase64Unescape(token, &raw) ||
      absl::WebSafeBase64Escape(raw) != token) {
    return NotKvdsToken();
  }
  absl::string_view in = raw;
  absl::string_view token_store;
  absl::string_view token_prefix;
  if (in.empty() || in[0] != kVersion) return NotKvdsToken();
  in.remove_prefix(1);
  if (!ConsumeLengthPrefixed(in, token_store) ||
      !ConsumeLengthPrefixed(in, token_prefix)) {
    return NotKvdsToken();
  }
  // The listing only ever resumes after a key it returned, which has the
  // prefix and is never empty.
  if (in.empty() || !absl::StartsWith(in, token_prefix)) return NotKvdsToken();
  if (token_store != store) {
    return InvalidRequestError(
        absl::StrCat("page_token continues a listing of store ",
                     Quote(token_store), ", not of store ", Quote(store),
                     "; a token only continues the listing it came from"));
  }
  if (token_prefix != prefix) {
    return InvalidRequestError(
        absl::StrCat("page_token continues a listing with prefix ",
                     Quote(token_prefix), ", not ", Quote(prefix),
                     "; pass the same prefix on every page of one listing"));
  }
  return std::string(in);
}

}  // namespace kv
