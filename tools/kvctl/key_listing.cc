#include "tools/kvctl/key_listing.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/byte_io.h"
#include "tools/kvctl/error_report.h"
#include "tools/kvctl/store_session.h"

namespace kv::kvctl {
namespace {

using Json = nlohmann::json;

// kvd's page size when the request names none.
constexpr int32_t kDefaultPageSize = 1000;

// `text` as a JSON string (invalid UTF-8, which no kvd key has, replaced).
std::string JsonString(const std::string& text) {
  return Json(text).dump(-1, ' ', /*ensure_ascii=*/false,
                         Json::error_handler_t::replace);
}

// Writes keys as they come, as lines or as the one JSON document.
class KeyWriter {
 public:
  KeyWriter(const CommandEnv& env, Progress& progress)
      : env_(env), progress_(progress) {}

  // Writes `keys` (one page) at once.
  absl::Status WritePage(const std::vector<std::string>& keys) {
    std::string text;
    if (env_.json && !opened_) {
      text = "{\"keys\":[";
      opened_ = true;
    }
    for (const std::string& key : keys) {
      if (env_.json) {
        if (any_key_) text.push_back(',');
        text.append(JsonString(key));
      } else {
        absl::StrAppend(&text, key, "\n");
      }
      any_key_ = true;
      progress_.Add(key.size() + 1);
    }
    return Flush(text);
  }

  absl::Status Finish() {
    if (!env_.json) return absl::OkStatus();
    std::string text = opened_ ? "" : "{\"keys\":[";
    absl::StrAppend(&text, "],\"store\":", JsonString(env_.store), "}\n");
    return Flush(text);
  }

 private:
  absl::Status Flush(const std::string& text) {
    if (absl::Status written = WriteAll(env_.out, text, "stdout");
        !written.ok()) {
      return written;
    }
    return std::fflush(env_.out) == 0
               ? absl::OkStatus()
               : absl::UnknownError("cannot write stdout");
  }

  const CommandEnv& env_;
  Progress& progress_;
  // JSON: whether "{"keys":[" and whether any key was written.
  bool opened_ = false;
  bool any_key_ = false;
};

// How many keys to ask for next: the page size, but no more than --limit
// still wants.
int32_t NextPageSize(const KeysOptions& options, uint64_t listed) {
  if (!options.limit.has_value()) return options.page_size;
  const uint64_t wanted = *options.limit - listed;
  const int32_t page =
      options.page_size > 0 ? options.page_size : kDefaultPageSize;
  return static_cast<int32_t>(std::min<uint64_t>(page, wanted));
}

// A kvd without ListKeys: every key in one GetKeys, filtered and cut here.
ExitCode ListWithGetKeys(const CommandEnv& env, const KeysOptions& options,
                         StoreSession& session, KeyWriter& writer) {
  absl::StatusOr<std::vector<std::string>> keys = session.GetKeys();
  if (!keys.ok())
    return ReportError(env.err, env.json, keys.status(),
                       ExitCodeFor(keys.status()));
  std::vector<std::string> kept;
  for (std::string& key : *keys) {
    if (options.limit.has_value() && kept.size() == *options.limit) break;
    if (absl::StartsWith(key, options.prefix)) kept.push_back(std::move(key));
  }
  if (absl::Status written = writer.WritePage(kept); !written.ok()) {
    return ReportError(env.err, env.json, written, ExitCode::kLocalIo);
  }
  return ExitCode::kSuccess;
}

}  // namespace

ExitCode RunKeys(const CommandEnv& env, const KeysOptions& options) {
  absl::StatusOr<StoreSession> session =
      StoreSession::Open(env.channel, env.store, env.options);
  if (!session.ok()) {
    return ReportError(env.err, env.json, session.status(),
                       ExitCodeFor(session.status()));
  }
  ProgressOptions progress_options = options.progress;
  progress_options.json = env.json;
  progress_options.show_rate = true;
  Progress progress(env.err, "listed", progress_options);
  KeyWriter writer(env, progress);

  std::string token;
  bool first = true;
  while (!options.limit.has_value() || progress.keys() < *options.limit) {
    absl::StatusOr<kvd::KeyPage> page = session->ListKeysPage(
        options.prefix, NextPageSize(options, progress.keys()), token);
    if (first && absl::IsUnimplemented(page.status())) {
      const ExitCode code = ListWithGetKeys(env, options, *session, writer);
      if (code != ExitCode::kSuccess) return code;
      break;
    }
    first = false;
    if (!page.ok()) {
      return ReportError(env.err, env.json, page.status(),
                         ExitCodeFor(page.status()));
    }
    if (options.limit.has_value() &&
        page->keys.size() > *options.limit - progress.keys()) {
      page->keys.resize(*options.limit - progress.keys());
    }
    if (absl::Status written = writer.WritePage(page->keys); !written.ok()) {
      return ReportError(env.err, env.json, written, ExitCode::kLocalIo);
    }
    if (page->next_page_token.empty()) break;
    token = std::move(page->next_page_token);
  }
  session->Close().IgnoreError();
  if (absl::Status written = writer.Finish(); !written.ok()) {
    return ReportError(env.err, env.json, written, ExitCode::kLocalIo);
  }
  if (options.always_summarize || progress.lines() > 0) progress.Finish();
  return ExitCode::kSuccess;
}

}  // namespace kv::kvctl
