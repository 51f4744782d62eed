// HttpServer: cpp-httplib's Server as shoplake's servers (simulate/bucket_server, the web
// app in server/) run it: bound when constructed, so clients may connect as soon as the
// constructor returns and a busy port is an error then, not later on a thread; stopped
// within a bound. Header-only: only the areas that link cpp-httplib include it.
//
// Thread safety: Bind from one thread before serving; Stop from any thread.
#pragma once

#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "common/error.h"

namespace shoplake {

class HttpServer : public httplib::Server {
 public:
  //! Binds `host`:`port` (0 picks a free port) and returns the port. Throws Error(kUsage)
  //! for a port out of range, Error(kIo) with a hint when it cannot bind.
  int Bind(const std::string& host, int port) {
    if (port < 0 || port > 65535) {
      throw Error(ErrorCode::kUsage, "port out of range", std::to_string(port),
                  "use 0 (any free port) up to 65535");
    }
    if (port == 0) {
      int bound = bind_to_any_port(host);
      if (bound <= 0) {
        throw Error(ErrorCode::kIo, "cannot bind a free port", host,
                    "check that the host is an address of this machine");
      }
      return bound;
    }
    if (!bind_to_port(host, port)) {
      throw Error(ErrorCode::kIo, "cannot bind the port", host + ":" + std::to_string(port),
                  "is another server using it? pass --port 0 to pick a free one");
    }
    return port;
  }

  //! Stops a listen loop that has begun or is about to (`starting`): httplib's stop() does
  //! nothing until its accept loop runs, so this waits for it, at most 10 s.
  void StopListening(bool starting) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (starting && !is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (is_running()) stop();
  }

  //! Closes the socket Bind opened when the server never listened (httplib leaves it open).
  void CloseListeningSocket() {
    socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
    if (sock != INVALID_SOCKET) ::close(sock);
  }
};

}  // namespace shoplake
