#include "common/crash.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

namespace shoplake {

void CrashPoint(std::string_view point) {
  const char* at = std::getenv("SHOPLAKE_CRASH_AT");
  if (at != nullptr && point == at) ::kill(::getpid(), SIGKILL);
}

}  // namespace shoplake
