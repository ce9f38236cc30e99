// Process exit codes shared by every command and by `pgduplex up`, which
// reads them back from its children (restart_policy.h).
//
//   0 success; 1 a check/compare found a problem (precheck FAIL, verify
//   difference); 2 bad usage or config; 3 stopped on a conflict under policy
//   "fail"; 4 gave up after the retry window, or another fatal runtime error
//   (an invariant failure, a state only an operator can resolve).
//
// A leaf header: it includes nothing, so low layers (the run loop, the
// restart policy) need not include commands/commands.h.
#pragma once

namespace pgduplex {

constexpr int kExitOk = 0;
constexpr int kExitFound = 1;
constexpr int kExitUsage = 2;
constexpr int kExitConflict = 3;
constexpr int kExitFatal = 4;

}  // namespace pgduplex
