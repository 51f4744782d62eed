// HttpServer: cpp-httplib's Server as shoplake's servers (simulate/bucket_server, the web
// app in server/) run it: bound when constructed, so clients may connect as soon as the
// constructor returns and a busy port is an error then, not later on a thread; stopped
// within a bound. Through httplib's public API only (its internals change between
// versions). Header-only: only the areas that link cpp-httplib include it.
//
// Thread safety: Bind from one thread before serving; Stop from any thread; the static
// connection helpers from any thread. RequestHeaderDeadline: see there.
#pragma once

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/error.h"

namespace shoplake {

class HttpServer : public httplib::Server {
 public:
  //! Binds `host`:`port` (0 picks a free port) and returns the port. Throws Error(kUsage)
  //! for a port out of range, Error(kIo) with a hint when it cannot bind. The listening
  //! socket gets httplib's default options.
  int Bind(const std::string& host, int port) {
    if (port < 0 || port > 65535) {
      throw Error(ErrorCode::kUsage, "port out of range", std::to_string(port),
                  "use 0 (any free port) up to 65535");
    }
    // httplib hands the socket it creates to the socket options: the one it binds is the
    // listening socket, which CloseListeningSocket closes if Listen never runs.
    set_socket_options([this](socket_t sock) {
      httplib::default_socket_options(sock);
      listening_socket_ = sock;
    });
    int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
    set_socket_options(httplib::default_socket_options);
    if (bound <= 0) {
      listening_socket_ = INVALID_SOCKET;  // httplib closed what it could not bind
      if (port == 0) {
        throw Error(ErrorCode::kIo, "cannot bind a free port", host,
                    "check that the host is an address of this machine");
      }
      throw Error(ErrorCode::kIo, "cannot bind the port", host + ":" + std::to_string(port),
                  "is another server using it? pass --port 0 to pick a free one");
    }
    return bound;
  }

  //! Serves on the calling thread until stopped (httplib's listen_after_bind). From here on
  //! the listening socket is httplib's to close. REQUIRES: Bind succeeded.
  bool Listen() {
    listened_ = true;
    return listen_after_bind();
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

  //! A connection accepted by a server: its socket and its client's address and port.
  struct Connection {
    socket_t sock;
    std::pair<std::string, int> peer;
  };

  //! The connections open on `port` (the server's own sockets with a peer).
  static std::vector<Connection> Connections(int port) {
    std::vector<Connection> connections;
    for (socket_t sock : OpenSockets()) {
      auto local = Address(sock, ::getsockname);
      if (!local || local->second != port) continue;
      if (auto peer = Address(sock, ::getpeername)) connections.push_back({sock, *peer});
    }
    return connections;
  }

  //! The address and port of the client of connection `sock`; nullopt for a socket with
  //! none (a listening socket).
  static std::optional<std::pair<std::string, int>> Peer(socket_t sock) {
    return Address(sock, ::getpeername);
  }

  //! Ends the reading side of every connection accepted on `port`: a worker blocked reading
  //! a request (a slow client, an idle keep-alive) wakes up and closes it. For a stop that
  //! slow clients cannot hold up. (httplib writes no answer on such a connection.)
  static void ShutdownConnections(int port) {
    for (const auto& c : Connections(port)) ::shutdown(c.sock, SHUT_RD);
  }

  //! Closes the socket Bind opened when the server never listened (httplib closes it only
  //! when a listen loop ends). Call after the serving thread, if any, has been joined.
  void CloseListeningSocket() {
    if (listened_) return;
    socket_t sock = std::exchange(listening_socket_, INVALID_SOCKET);
    if (sock != INVALID_SOCKET) ::close(sock);
  }

 private:
  socket_t listening_socket_ = INVALID_SOCKET;  //!< Bind's, until Listen hands it to httplib
  std::atomic<bool> listened_{false};

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

//! Closes the connections of the server on `port` that take longer than `deadline` to send
//! a request's headers, counted from their connection or their previous answer: a client
//! trickling them holds one of the server's threads, and without a deadline could hold it
//! for as long as it likes (cpp-httplib 0.11 bounds each read, not the request). A request
//! being handled, or its body being read, is not timed. Idle keep-alive connections end
//! sooner by themselves (set_keep_alive_timeout).
//!
//! REQUIRES: the server's pre-routing handler calls Arrived(req) and its logger
//! Answered(req). Thread safety: both from any thread.
class RequestHeaderDeadline {
 public:
  RequestHeaderDeadline(int port, std::chrono::milliseconds deadline)
      : port_(port), deadline_(deadline), watcher_([this] { Watch(); }) {}
  ~RequestHeaderDeadline() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    watcher_.join();
  }
  RequestHeaderDeadline(const RequestHeaderDeadline&) = delete;
  RequestHeaderDeadline& operator=(const RequestHeaderDeadline&) = delete;

  //! The headers of `req` have arrived: its connection is no longer timed.
  void Arrived(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    handling_.insert({req.remote_addr, req.remote_port});
  }
  //! `req` is answered: its connection's next request is timed from now.
  void Answered(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    std::pair<std::string, int> peer{req.remote_addr, req.remote_port};
    handling_.erase(peer);
    waiting_since_[peer] = std::chrono::steady_clock::now();
  }

 private:
  void Watch() {
    std::unique_lock lock(mutex_);
    while (!done_) {
      lock.unlock();
      auto connections = HttpServer::Connections(port_);
      lock.lock();
      auto now = std::chrono::steady_clock::now();
      std::map<std::pair<std::string, int>, std::chrono::steady_clock::time_point> waiting;
      std::set<std::pair<std::string, int>> open;
      for (const auto& c : connections) {
        open.insert(c.peer);
        if (handling_.count(c.peer)) continue;
        auto known = waiting_since_.find(c.peer);
        auto since = known == waiting_since_.end() ? now : known->second;
        waiting[c.peer] = since;
        // Still the same connection (its socket may have closed and been reused since)?
        if (now - since > deadline_ && HttpServer::Peer(c.sock) == c.peer) {
          ::shutdown(c.sock, SHUT_RDWR);
        }
      }
      waiting_since_ = std::move(waiting);  // forgets the connections that closed
      std::erase_if(handling_, [&open](const auto& peer) { return !open.count(peer); });
      // A quarter of the deadline, so a connection is cut within 1.25 deadlines (a short
      // deadline in tests is checked as often as it needs); never more than 250 ms apart.
      auto poll =
          std::clamp(deadline_ / 4, std::chrono::milliseconds(1), std::chrono::milliseconds(250));
      wake_.wait_for(lock, poll, [this] { return done_; });
    }
  }

  int port_;
  std::chrono::milliseconds deadline_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::set<std::pair<std::string, int>> handling_;
  std::map<std::pair<std::string, int>, std::chrono::steady_clock::time_point> waiting_since_;
  std::thread watcher_;  //!< last: starts once the members above exist
};

}  // namespace shoplake
