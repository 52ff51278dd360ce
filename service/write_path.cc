#include "service/write_path.h"

#include "absl/strings/str_cat.h"
#include "store/write_errors.h"

namespace kv {
namespace write_path {

absl::optional<size_t> FailedMutation(const absl::Status& driver_status) {
  return FailedMutationIndex(driver_status);
}

absl::Status WriteFailure(absl::string_view store, absl::string_view action,
                          const absl::Status& driver_status, bool batch) {
  const std::string detail = absl::StrCat("store ", Quote(store), ": ", action,
                                          ": ", driver_status.message());
  absl::Status status;
  if (absl::optional<uint64_t> current =
          ConditionFailedRevision(driver_status)) {
    status = ConditionFailedError(detail, *current);
  } else if (IsNotAnInteger(driver_status)) {
    status = NotAnIntegerError(detail);
  } else if (IsIncrementOverflow(driver_status)) {
    status = OutOfRangeError(detail);
  } else {
    return BackendError(store, action, driver_status);
  }
  absl::optional<size_t> index = FailedMutationIndex(driver_status);
  if (batch && index.has_value()) status = WithFailedIndex(status, *index);
  return status;
}

}  // namespace write_path
}  // namespace kv
