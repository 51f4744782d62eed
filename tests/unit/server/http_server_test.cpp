// HttpServer's connection helpers against a real server on loopback: a handler finds its
// own connection's socket and sees its client leave; ShutdownConnections ends a slow
// client's half-sent request so that the server can stop; RequestHeaderDeadline cuts a
// slow client off while a request that is slow to handle is answered; the listening socket
// is closed once, by us when the server never listened, else by httplib.
#include "common/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <thread>

namespace shoplake {
namespace {

using namespace std::chrono_literals;

//! connect(2) of `fd` to 127.0.0.1:`port`: 0, or -1 with errno set.
int ConnectToLoopback(int fd, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
}

class ServedOnLoopback : public ::testing::Test {
 protected:
  void Start() {
    port_ = server_.Bind("127.0.0.1", 0);
    thread_ = std::thread([this] { server_.Listen(); });
  }
  void TearDown() override {
    server_.StopListening(thread_.joinable());
    if (thread_.joinable()) thread_.join();
    server_.CloseListeningSocket();
  }
  //! A raw client connected to the server (closed by the caller).
  int Connect() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(ConnectToLoopback(fd, port_), 0);
    return fd;
  }
  //! A raw client that sent a request's first line and part of a header, never the rest.
  int SlowClient() {
    int fd = Connect();
    std::string start = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    EXPECT_EQ(::send(fd, start.data(), start.size(), 0), static_cast<ssize_t>(start.size()));
    return fd;
  }
  //! True when the server closes `fd`'s connection (perhaps after a 400) within
  //! `seconds`, well under httplib's own 5 s read timeout; closes `fd`.
  static bool ClosedByServerWithin(int fd, time_t seconds) {
    timeval wait{seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    char buffer[4096];
    ssize_t n = 0;
    for (int reads = 0; reads < 100 && (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0; ++reads) {
    }
    ::close(fd);
    return n == 0;
  }

  HttpServer server_;
  int port_ = 0;
  std::thread thread_;
  //! Outlives the server's threads (TearDown stops them first), which call it.
  std::unique_ptr<RequestHeaderDeadline> deadline_;
};

TEST_F(ServedOnLoopback, AHandlerSeesItsClientLeave) {
  std::atomic<bool> found{false}, checked{false}, gone{false};
  server_.Get("/wait", [&](const httplib::Request& req, httplib::Response& res) {
    auto sock = HttpServer::ConnectionSocket(req);
    found = sock.has_value();
    if (!sock) return;
    EXPECT_FALSE(HttpServer::ClientGone(*sock));  // the client still waits
    checked = true;
    for (int i = 0; i < 200 && !gone; ++i) {  // bounded: 10 s
      gone = HttpServer::ClientGone(*sock);
      std::this_thread::sleep_for(50ms);
    }
    res.set_content("late", "text/plain");
  });
  Start();
  int client = Connect();
  std::string request = "GET /wait HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_EQ(::send(client, request.data(), request.size(), 0),
            static_cast<ssize_t>(request.size()));
  for (int i = 0; i < 10000 && !checked; ++i) std::this_thread::sleep_for(1ms);  // bounded: 10 s
  ::close(client);
  for (int i = 0; i < 200 && !gone; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(found);
  EXPECT_TRUE(gone);
}

TEST_F(ServedOnLoopback, ShutdownConnectionsEndsAHalfSentRequest) {
  server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  Start();
  int slow = SlowClient();
  // The server has accepted it (and reads it, or is about to). Bounded: 10 s.
  for (int i = 0; i < 10000 && HttpServer::Connections(port_).empty(); ++i) {
    std::this_thread::sleep_for(1ms);
  }
  HttpServer::ShutdownConnections(port_);
  EXPECT_TRUE(ClosedByServerWithin(slow, 2)) << "the connection is still open";
}

TEST_F(ServedOnLoopback, ASlowClientIsCutOffAtTheHeaderDeadlineOthersAreServed) {
  server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    deadline_->Arrived(req);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server_.set_logger(
      [this](const httplib::Request& req, const httplib::Response&) { deadline_->Answered(req); });
  server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(100ms);  // longer than the deadline: handling is not timed
    res.set_content("ok", "text/plain");
  });
  Start();
  deadline_ = std::make_unique<RequestHeaderDeadline>(port_, 30ms);
  int slow = SlowClient();
  httplib::Client client("127.0.0.1", port_);
  auto answer = client.Get("/");
  ASSERT_TRUE(answer) << "a complete request slower than the deadline to handle";
  EXPECT_EQ(answer->body, "ok");
  EXPECT_TRUE(ClosedByServerWithin(slow, 3)) << "the slow client's connection is still open";
}

// The listening socket Bind opened: closed by CloseListeningSocket when the server never
// listened (the port refuses connections then), left to httplib once it has.
TEST(HttpServerSocket, ClosedWhenTheServerNeverListened) {
  HttpServer server;
  int port = server.Bind("127.0.0.1", 0);
  server.CloseListeningSocket();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(ConnectToLoopback(fd, port), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
  ::close(fd);
}

TEST(HttpServerSocket, NotClosedAgainAfterHttplibClosedIt) {
  HttpServer server;
  server.Bind("127.0.0.1", 0);
  std::thread thread([&server] { server.Listen(); });
  server.StopListening(true);  // httplib closes the listening socket
  thread.join();
  // The file descriptor number is free again: the next file opened takes it.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  server.CloseListeningSocket();
  EXPECT_NE(::fcntl(fds[0], F_GETFD), -1) << "CloseListeningSocket closed a file not its own";
  EXPECT_NE(::fcntl(fds[1], F_GETFD), -1) << "CloseListeningSocket closed a file not its own";
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace shoplake
