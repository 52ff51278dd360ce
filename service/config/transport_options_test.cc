#include "service/config/transport_options.h"

#include <climits>

#include "gmock/gmock.h"
#include "grpc/grpc.h"
#include "gtest/gtest.h"

namespace kv {
namespace {

using ::testing::Contains;
using ::testing::Not;
using ::testing::Pair;

TEST(TransportOptionsTest, DefaultsBoundStreamsAndEnforceKeepalive) {
  const auto args = TransportChannelArgs(TransportOptions());
  EXPECT_THAT(args, Contains(Pair(GRPC_ARG_MAX_CONCURRENT_STREAMS, 100)));
  EXPECT_THAT(args, Contains(Pair(GRPC_ARG_KEEPALIVE_TIME_MS, 7200000)));
  EXPECT_THAT(args, Contains(Pair(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000)));
  EXPECT_THAT(
      args, Contains(Pair(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                          300000)));
  EXPECT_THAT(args, Contains(Pair(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2)));
  // Idle connections are not closed unless configured.
  EXPECT_THAT(
      args, Not(Contains(Pair(GRPC_ARG_MAX_CONNECTION_IDLE_MS, ::testing::_))));
}

TEST(TransportOptionsTest, ConfiguredValuesAreApplied) {
  TransportOptions options;
  options.max_concurrent_streams = 8;
  options.max_connection_idle = absl::Minutes(10);
  options.keepalive_time = absl::Hours(24 * 365);
  const auto args = TransportChannelArgs(options);
  EXPECT_THAT(args, Contains(Pair(GRPC_ARG_MAX_CONCURRENT_STREAMS, 8)));
  EXPECT_THAT(args, Contains(Pair(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 600000)));
  EXPECT_THAT(args, Contains(Pair(GRPC_ARG_KEEPALIVE_TIME_MS, INT_MAX)));
}

}  // namespace
}  // namespace kv
