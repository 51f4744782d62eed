// S3rverProcess: a real S3 endpoint for tests, s3rver (npm, tests/js/node_modules) started
// with node on 127.0.0.1 and a free port over a temporary folder, with one bucket, and
// stopped (SIGTERM, then waited for) when the object dies. Startup is bounded: the
// constructor throws when s3rver has not said where it listens within 20 seconds.
//
// s3rver runs with --openssl-legacy-provider: its ListObjectsV2 continuation tokens are
// DES-encrypted, which Node 17+ refuses otherwise (HTTP 500 on every truncated listing).
//
// s3rver accepts the credentials S3RVER/S3RVER and checks only the access key id of a
// SigV4 request, not its signature: signatures are checked against AWS's published examples
// in tests/unit/common/aws_sigv4_test.cpp instead.
//
// A test that needs s3rver starts with SHOPLAKE_NEED_S3RVER(): without node or s3rver it
// skips, saying why, except under CI (CI=true, set by .ci/run), where it fails: a CI run
// whose S3 tests all skipped would pass while testing nothing of S3.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/aws_config.h"
#include "support/temp_folder.h"

extern char** environ;

namespace shoplake::testing {

class S3rverProcess {
 public:
  static constexpr const char* kBucket = "shoplake-test";

  //! Why the S3 tests cannot run here (no node, or no s3rver under tests/js/node_modules),
  //! or nullopt when they can.
  static std::optional<std::string> SkipReason() {
    if (!std::filesystem::exists(Script())) {
      return "s3rver is not installed at " + Script() + " (scripts/bootstrap installs it)";
    }
    for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
      if (::access((std::string(dir) + "/node").c_str(), X_OK) == 0) return std::nullopt;
    }
    return "node is not installed, and the S3 tests need it to run s3rver";
  }

  //! True under CI (the environment variable CI is "true"): there the S3 tests must run.
  static bool Required() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
  }

  //! Where tests/js keeps s3rver's entry point.
  static std::string Script() {
    return std::string(SHOPLAKE_SOURCE_DIR) + "/tests/js/node_modules/s3rver/bin/s3rver.js";
  }

  //! One server for the whole test binary, started on first use.
  static S3rverProcess& Shared() {
    static S3rverProcess server;
    return server;
  }

  S3rverProcess() : folder_("shoplake-s3rver") {
    std::string node;
    for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
      if (::access((std::string(dir) + "/node").c_str(), X_OK) == 0) {
        node = std::string(dir) + "/node";
        break;
      }
    }
    const std::string script = Script();
    // s3rver 3.7 makes its continuation tokens with DES, which Node 17+ (OpenSSL 3) keeps
    // in the legacy provider: without it every truncated listing is a 500.
    std::vector<std::string> args = {node,
                                     "--openssl-legacy-provider",
                                     script,
                                     "-d",
                                     (folder_.path() / "data").string(),
                                     "-a",
                                     "127.0.0.1",
                                     "-p",
                                     "0",
                                     "--silent",
                                     "--configure-bucket",
                                     kBucket};
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int spawned = posix_spawn(&pid_, node.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (spawned != 0) {
      ::close(out[0]);
      throw std::runtime_error("cannot start node for s3rver");
    }
    // "S3rver listening on 127.0.0.1:PORT", within a bounded wait.
    std::string printed;
    std::smatch match;
    const std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!std::regex_search(printed, match, listening)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd fd{out[0], POLLIN, 0};
      if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0) break;
      char buffer[512];
      ssize_t n = ::read(out[0], buffer, sizeof buffer);
      if (n <= 0) break;
      printed.append(buffer, static_cast<size_t>(n));
    }
    ::close(out[0]);
    if (match.empty()) {
      Stop();
      throw std::runtime_error("s3rver did not start within 20 s; it printed: " + printed);
    }
    endpoint_ = "http://127.0.0.1:" + match[1].str();
  }

  ~S3rverProcess() { Stop(); }
  S3rverProcess(const S3rverProcess&) = delete;
  S3rverProcess& operator=(const S3rverProcess&) = delete;

  const std::string& endpoint() const { return endpoint_; }

  //! The configuration a client of this server uses.
  aws::AwsConfig Config() const {
    aws::AwsConfig config;
    config.credentials = {"S3RVER", "S3RVER", ""};
    config.credentials_source = "the test (S3RVER)";
    config.region = "us-east-1";
    config.region_source = "the test";
    config.endpoint = endpoint_;
    config.profile = "default";
    return config;
  }

 private:
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  TempFolder folder_;
  pid_t pid_ = -1;
  std::string endpoint_;
};

}  // namespace shoplake::testing

//! Skips the running test when s3rver cannot run here, saying why; under CI fails it instead.
//! For a test body or SetUp (it returns from the enclosing function).
#define SHOPLAKE_NEED_S3RVER()                                                         \
  if (auto s3rver_missing = ::shoplake::testing::S3rverProcess::SkipReason()) {        \
    if (::shoplake::testing::S3rverProcess::Required()) {                              \
      FAIL() << *s3rver_missing << "; CI=true, so the S3 tests fail rather than skip"; \
    }                                                                                  \
    GTEST_SKIP() << *s3rver_missing;                                                   \
  }
