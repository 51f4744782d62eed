// CrashPoint: lets the crash tests stop a run at a chosen step exactly as kill -9 does
// (SIGKILL: no destructor, no flush, no cleanup), instead of racing a kill against a
// timer. Inert unless the environment variable SHOPLAKE_CRASH_AT names the point.
#pragma once

#include <string_view>

namespace shoplake {

//! Dies by SIGKILL when SHOPLAKE_CRASH_AT equals `point` ("transform.after_move", ...).
void CrashPoint(std::string_view point);

}  // namespace shoplake
