// The one error type shoplake throws. Libraries throw it; cli/ catches it once, prints a
// one-line message (plus a hint) and maps it to the process exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace shoplake {

//! What kind of failure an Error is. The kind decides the exit code: usage and
//! configuration mistakes, and names that do not exist, exit 2 (the user must change the
//! command or the project); everything else exits 1 (the work itself failed).
enum class ErrorCode {
  kUsage,     //!< bad flags or arguments
  kConfig,    //!< a project, mapping or definition file is invalid
  kNotFound,  //!< a named file, object, table or key does not exist
  kIo,        //!< reading or writing a file or object failed
  kNetwork,   //!< a remote endpoint could not be reached or answered an error
  kData,      //!< input data is malformed or fails a check (size, checksum, rule)
  kConflict,  //!< a lock is held, or the lake changed under us
  kInternal,  //!< a bug: an invariant of shoplake itself does not hold
};

//! Name of a code as printed in JSON logs ("usage", "config", ...).
const char* ErrorCodeName(ErrorCode code);

//! An error a user can act on: what went wrong, on which input, and what to do.
//!
//! `input` names the offending thing as precisely as known, in the form
//! `file:line: key` or a URI; `hint` says what to do about it. Both may be empty.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, std::string input = {}, std::string hint = {});

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& input() const { return input_; }
  const std::string& hint() const { return hint_; }

  //! 2 for usage and configuration errors, 1 for everything else.
  int exit_code() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::string input_;
  std::string hint_;
};

//! Throws kInternal when `condition` is false: for invariants only, never for user input.
void Check(bool condition, const std::string& what);

}  // namespace shoplake
