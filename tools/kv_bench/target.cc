#include "tools/kv_bench/target.h"

namespace kv {
namespace bench {

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
  }
  return "unknown";
}

}  // namespace bench
}  // namespace kv
