// HttpServer: cpp-httplib's Server as shoplake's servers (simulate/bucket_server, the web
// app in server/) run it: bound when constructed, so clients may connect as soon as the
// constructor returns and a busy port is an error then, not later on a thread; stopped
// within a bound. Header-only: only the areas that link cpp-httplib include it.
//
// Thread safety: Bind from one thread before serving; Stop from any thread; the static
// connection helpers from any thread.
#pragma once

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <utility>

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

  //! The socket of the connection `req` came on, found among the process's open sockets by
  //! its two addresses (cpp-httplib 0.11 hands a handler no socket); nullopt if closed.
  //! Valid until the handler returns.
  static std::optional<socket_t> ConnectionSocket(const httplib::Request& req) {
    for (socket_t sock : OpenSockets()) {
      auto local = Address(sock, ::getsockname), peer = Address(sock, ::getpeername);
      if (local && peer && *local == std::pair{req.local_addr, req.local_port} &&
          *peer == std::pair{req.remote_addr, req.remote_port}) {
        return sock;
      }
    }
    return std::nullopt;
  }

  //! True when the client of connection `sock` has closed it (or reset it): nothing more
  //! can be read from it. Never blocks.
  static bool ClientGone(socket_t sock) {
    char byte;
    ssize_t n = ::recv(sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }

  //! Ends the reading side of every connection accepted on `port`: a worker blocked reading
  //! a request (a slow client, an idle keep-alive) wakes up and closes it, one writing a
  //! response finishes. For a stop that slow clients cannot hold up.
  static void ShutdownConnections(int port) {
    for (socket_t sock : OpenSockets()) {
      auto local = Address(sock, ::getsockname);
      if (local && local->second == port && Address(sock, ::getpeername)) {
        ::shutdown(sock, SHUT_RD);
      }
    }
  }

  //! Closes the socket Bind opened when the server never listened (httplib leaves it open).
  void CloseListeningSocket() {
    socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
    if (sock != INVALID_SOCKET) ::close(sock);
  }

 private:
  static std::vector<socket_t> OpenSockets() {
    std::vector<socket_t> sockets;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
      int fd = std::atoi(entry.path().filename().c_str());
      struct stat st {};
      if (::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) sockets.push_back(fd);
    }
    return sockets;
  }

  //! The socket's own (getsockname) or peer's (getpeername) address as httplib spells it
  //! in a Request; nullopt when it has none (a listening socket has no peer).
  template <typename Get>
  static std::optional<std::pair<std::string, int>> Address(socket_t sock, Get get) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (get(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return std::nullopt;
    if (addr.ss_family != AF_INET && addr.ss_family != AF_INET6) return std::nullopt;
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, port, sizeof port,
                      NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
      return std::nullopt;
    }
    return std::pair{std::string(host), std::atoi(port)};
  }
};

}  // namespace shoplake
