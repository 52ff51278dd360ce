#include "tools/kvctl/kv_error.h"

#include <string>

namespace kv {

v1::ErrorCode ErrorCodeFromTrailers(
    const std::multimap<grpc::string_ref, grpc::string_ref>& trailers) {
  auto it = trailers.find(kErrorCodeTrailer);
  if (it == trailers.end()) return v1::ERROR_CODE_UNSPECIFIED;
  v1::ErrorCode code = v1::ERROR_CODE_UNSPECIFIED;
  const std::string name(it->second.data(), it->second.size());
  if (!v1::ErrorCode_Parse(name, &code)) return v1::ERROR_CODE_UNSPECIFIED;
  return code;
}

v1::ErrorCode ErrorCodeOf(const grpc::Status& status,
                          const grpc::ClientContext& context) {
  if (status.ok()) return v1::ERROR_CODE_UNSPECIFIED;
  return ErrorCodeFromTrailers(context.GetServerTrailingMetadata());
}

}  // namespace kv
