#include "store/driver.h"

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "store/status_macros.h"

namespace kv {

absl::Status Driver::ListKeys(
    absl::FunctionRef<bool(absl::string_view key)> visit,
    absl::string_view prefix, size_t page_size) {
  std::string after;
  while (true) {
    KeyPageRequest request;
    request.prefix = prefix;
    request.after = after;
    request.limit = page_size;
    KV_ASSIGN_OR_RETURN(KeyPage page, ListKeyPage(request));
    for (const std::string& key : page.keys) {
      if (!visit(key)) return absl::OkStatus();
    }
    if (!page.more || page.keys.empty()) return absl::OkStatus();
    after = std::move(page.keys.back());
  }
}

}  // namespace kv
