#include "tools/kv_bench/target.h"

namespace kv {
namespace bench {

bool IsKvdOnly(Operation operation) {
  return operation == Operation::kIncrement ||
         operation == Operation::kGetMany || operation == Operation::kSetMany ||
         operation == Operation::kConditionalSet ||
         operation == Operation::kList;
}

const char* OperationName(Operation operation) {
  switch (operation) {
    case Operation::kGet:
      return "get";
    case Operation::kSet:
      return "set";
    case Operation::kExists:
      return "exists";
    case Operation::kGetKeys:
      return "get_keys";
    case Operation::kNoop:
      return "noop";
    case Operation::kIncrement:
      return "increment";
    case Operation::kGetMany:
      return "get_many";
    case Operation::kSetMany:
      return "set_many";
    case Operation::kConditionalSet:
      return "conditional_set";
    case Operation::kList:
      return "list";
  }
  return "unknown";
}

void StampVersion(uint64_t version, std::string& value) {
  for (size_t i = 0; i < value.size() && i < sizeof(version); ++i) {
    value[i] = static_cast<char>(version >> (8 * i));
  }
}

}  // namespace bench
}  // namespace kv
