// Running another program: a shell command fed bytes on its stdin, its output collected,
// bounded in time. The one way shoplake starts a process (the notify task's command).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace shoplake {

struct CommandOutcome {
  int exit_code = -1;      //!< the exit status; 128 + N when killed by signal N
  bool timed_out = false;  //!< killed because it ran past the timeout
  std::string output;      //!< stdout and stderr as they came, the first 64 KiB
};

//! Runs `command` with `/bin/sh -c` in a process group of its own, writes `input` to its
//! stdin and closes it (a command that exits without reading it is fine), and waits at most
//! `timeout`: past it the whole group is killed and `timed_out` set. A non-zero exit is an
//! outcome, not an error. Throws Error(kIo) when the shell cannot be started.
//! Thread-safe: blocks SIGPIPE on the calling thread only while it writes.
CommandOutcome RunShellCommand(const std::string& command, std::string_view input,
                               std::chrono::milliseconds timeout);

}  // namespace shoplake
