// RunShellCommand over posix_spawn and poll(2).
#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/error.h"
#include "common/files.h"

extern char** environ;

namespace shoplake {
namespace {

constexpr size_t kOutputLimit = 64 << 10;

// A write to a pipe whose reader has gone raises SIGPIPE, which would end the whole
// process. Blocked on this thread while the command runs, then any pending one is
// consumed, so neither the process nor other threads ever see it.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~SigpipeBlocked() {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_;
  sigset_t previous_;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw SystemError("cannot create a pipe", "/bin/sh", errno);
    read = UniqueFd(fds[0]);
    write = UniqueFd(fds[1]);
  }
};

int StatusToCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

CommandOutcome RunShellCommand(const std::string& command, std::string_view input,
                               std::chrono::milliseconds timeout) {
  SigpipeBlocked blocked;
  Pipe in;
  Pipe out;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own group, so a timeout kills what the shell started too; default signal handling
  // and an empty mask, so the command does not inherit our blocked SIGPIPE.
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::string text = command;
  char* argv[] = {shell.data(), dash_c.data(), text.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, shell.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) throw SystemError("cannot start the shell for '" + command + "'", shell, rc);
  in.read = UniqueFd();
  out.write = UniqueFd();
  fcntl(in.write.get(), F_SETFL, O_NONBLOCK);
  fcntl(out.read.get(), F_SETFL, O_NONBLOCK);

  CommandOutcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t written = 0;
  if (input.empty()) in.write = UniqueFd();
  bool output_open = true;
  int status = 0;
  bool exited = false;
  char buffer[8192];
  auto drain = [&] {
    for (;;) {
      ssize_t n = ::read(out.read.get(), buffer, sizeof buffer);
      if (n > 0) {
        size_t keep = std::min(static_cast<size_t>(n), kOutputLimit - outcome.output.size());
        outcome.output.append(buffer, keep);
        continue;
      }
      if (n == 0 || (errno != EINTR && errno != EAGAIN)) output_open = false;
      if (n < 0 && errno == EINTR) continue;
      return;
    }
  };
  while (!exited) {
    pollfd fds[2];
    nfds_t count = 0;
    if (output_open) fds[count++] = {out.read.get(), POLLIN, 0};
    if (in.write.valid()) fds[count++] = {in.write.get(), POLLOUT, 0};
    // Short polls: the command's end is noticed by waitpid, not by its pipes closing (a
    // child it left behind may hold them open).
    poll(fds, count, 10);
    if (output_open) drain();
    if (in.write.valid()) {
      ssize_t n = ::write(in.write.get(), input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        in.write = UniqueFd();  // done, or the command stopped reading (EPIPE)
      }
    }
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      exited = true;
    } else if (std::chrono::steady_clock::now() >= deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      outcome.timed_out = true;
      exited = true;
    }
  }
  if (output_open) drain();
  outcome.exit_code = StatusToCode(status);
  return outcome;
}

}  // namespace shoplake
