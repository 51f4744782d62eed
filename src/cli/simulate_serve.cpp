// `shoplake simulate serve`: serves a folder of exports as a GCS bucket (BucketServer) until
// SIGINT or SIGTERM. Prints the endpoint and the STORAGE_EMULATOR_HOST line on stdout first,
// so scripts and people can point a client at it.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/context.h"
#include "cli/signals.h"
#include "common/error.h"
#include "simulate/bucket_server.h"

namespace shoplake::cli {
namespace {

struct ServeFlags {
  std::string root;
  std::string host = "127.0.0.1";
  int port = 0;
  std::string bucket = "shop-exports";
  int fail_first = 0;
  uint64_t cut_after = 0;
  int latency_ms = 0;
  bool lie_about_md5 = false;
};

void Serve(const ServeFlags& flags) {
  simulate::BucketServerOptions options;
  options.root = flags.root;
  options.host = flags.host;
  options.port = flags.port;
  options.bucket = flags.bucket;
  options.faults.fail_first_requests = flags.fail_first;
  options.faults.cut_after_bytes = flags.cut_after;
  options.faults.latency = std::chrono::milliseconds(flags.latency_ms);
  options.faults.lie_about_md5 = flags.lie_about_md5;

  // Before the server starts its threads, so they inherit the mask and only Wait() sees
  // the signals.
  BlockedStopSignals signals;
  simulate::BucketServer server(options);
  server.Start();
  std::error_code ec;
  std::filesystem::path root = std::filesystem::absolute(flags.root, ec);
  fmt::print("serving gs://{} from {} at {}\n", flags.bucket, root.string(), server.endpoint());
  fmt::print("STORAGE_EMULATOR_HOST={}\n", server.endpoint());
  std::fflush(stdout);
  if (flags.fail_first > 0 || flags.cut_after > 0 || flags.latency_ms > 0 || flags.lie_about_md5) {
    spdlog::warn("test faults on: fail-first={} cut-after={} latency-ms={} lie-about-md5={}",
                 flags.fail_first, flags.cut_after, flags.latency_ms, flags.lie_about_md5);
  }
  int signal = signals.Wait();
  spdlog::info("stopping on {}", signal == SIGINT ? "SIGINT" : "SIGTERM");
  server.Stop();
}

}  // namespace

void AddSimulateServeCommand(CLI::App& simulate, Context& /*context*/) {
  auto* serve = simulate.add_subcommand(
      "serve",
      "Serve a folder of exports as a Google Cloud Storage bucket (JSON API subset) for "
      "gs:// clients; runs until Ctrl-C");
  serve->footer(
      "Point a GCS client at it with the printed STORAGE_EMULATOR_HOST=... line.\n"
      "See docs/bucket-server.md for the endpoints and the fault switches.");
  auto flags = std::make_shared<ServeFlags>();
  serve->add_option("--root", flags->root, "Folder whose files are the bucket's objects")
      ->required()
      ->type_name("DIR");  // BucketServer checks it, with a hint
  serve->add_option("--port", flags->port, "Port to listen on; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str()
      ->type_name("P");
  serve->add_option("--host", flags->host, "Address to bind")
      ->capture_default_str()
      ->type_name("ADDR");
  serve->add_option("--bucket", flags->bucket, "Bucket name clients use in gs:// URIs")
      ->capture_default_str()
      ->type_name("NAME");
  serve
      ->add_option("--fail-first", flags->fail_first,
                   "Test fault: answer the first N requests for each object with 503")
      ->check(CLI::NonNegativeNumber)
      ->type_name("N");
  serve
      ->add_option("--cut-after", flags->cut_after,
                   "Test fault: close every download after BYTES body bytes")
      ->check(CLI::NonNegativeNumber)
      ->type_name("BYTES");
  serve
      ->add_option("--latency-ms", flags->latency_ms,
                   "Test fault: wait MS milliseconds before answering each request")
      ->check(CLI::NonNegativeNumber)
      ->type_name("MS");
  serve->add_flag("--lie-about-md5", flags->lie_about_md5,
                  "Test fault: state a wrong md5Hash and crc32c for every object");
  serve->callback([flags] { Serve(*flags); });
}

}  // namespace shoplake::cli
