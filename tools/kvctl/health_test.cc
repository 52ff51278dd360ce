#include "tools/kvctl/health.h"

#include <cstdio>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace kv::kvctl {
namespace {

using ::testing::HasSubstr;

std::string Contents(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text.append(buffer, n);
  }
  return text;
}

// gRPC's default health service in process: "" SERVING, "up" SERVING,
// "down" NOT_SERVING, anything else unknown (Check answers NOT_FOUND).
class HealthTest : public ::testing::Test {
 protected:
  HealthTest() {
    grpc::EnableDefaultHealthCheckService(true);
    // A server needs a service of its own besides the health service.
    grpc::ServerBuilder builder;
    builder.RegisterCallbackGenericService(&generic_);
    server_ = builder.BuildAndStart();
    server_->GetHealthCheckService()->SetServingStatus("up", true);
    server_->GetHealthCheckService()->SetServingStatus("down", false);
    env_.channel = server_->InProcessChannel(grpc::ChannelArguments());
    env_.options.timeout = absl::Seconds(10);
    env_.out = std::tmpfile();
    env_.err = std::tmpfile();
  }
  ~HealthTest() override {
    std::fclose(env_.out);
    std::fclose(env_.err);
    server_->Shutdown();
  }

  grpc::CallbackGenericService generic_;
  std::unique_ptr<grpc::Server> server_;
  CommandEnv env_{};
};

TEST_F(HealthTest, PrintsTheStatusAndExitsZeroOnlyWhenServing) {
  EXPECT_EQ(RunHealth(env_, ""), ExitCode::kSuccess);
  EXPECT_EQ(RunHealth(env_, "up"), ExitCode::kSuccess);
  EXPECT_EQ(RunHealth(env_, "down"), ExitCode::kNotFound);
  EXPECT_EQ(RunHealth(env_, "nope"), ExitCode::kRefused);
  EXPECT_EQ(Contents(env_.out),
            "SERVING\nSERVING\nNOT_SERVING\nSERVICE_UNKNOWN\n");
  EXPECT_EQ(Contents(env_.err), "");
}

TEST_F(HealthTest, JsonNamesTheServiceAndStatus) {
  env_.json = true;
  EXPECT_EQ(RunHealth(env_, "down"), ExitCode::kNotFound);
  EXPECT_EQ(RunHealth(env_, "nope"), ExitCode::kRefused);
  EXPECT_EQ(Contents(env_.out),
            "{\"service\":\"down\",\"status\":\"NOT_SERVING\"}\n"
            "{\"service\":\"nope\",\"status\":\"SERVICE_UNKNOWN\"}\n");
}

TEST_F(HealthTest, AnUnreachableServerExitsFour) {
  env_.channel = grpc::CreateChannel("unix:/nonexistent/kvd.sock",
                                     grpc::InsecureChannelCredentials());
  env_.options.timeout = absl::Seconds(2);
  env_.json = true;
  EXPECT_EQ(RunHealth(env_, "kvd.ready"), ExitCode::kUnreachable);
  EXPECT_EQ(Contents(env_.out), "");
  const nlohmann::json error = nlohmann::json::parse(Contents(env_.err));
  EXPECT_EQ(error["error"]["exit_code"], 4);
  EXPECT_THAT(error["error"]["message"].get<std::string>(),
              HasSubstr("health check of service \"kvd.ready\""));
}

}  // namespace
}  // namespace kv::kvctl
