// SessionFailure: what the run loop makes of the exception that ended a
// session of `pgduplex run` (see common/errors.h for the hierarchy).
//
// With exit_code set, the process exits with it at once (report: the
// message is recorded in worker_status first); else the failure is retried
// within the window of its kind (apply/retry_policy.h) unless a stop was
// requested or the credentials were refused. A stop request, an
// ApplyError, a PgError: retried (the loop sees the stop flag first). An
// invariant failure (std::logic_error) is a bug: exit 4 at once. The
// plugin's refusal of a row filter ("invalid row filter for table"): exit 2
// at once, a retry would stop at the same change.
//
// Contract: pure decisions on the exception and the message; nothing here
// logs, writes or sleeps (StreamWorker::Run does).
#pragma once

#include <exception>
#include <optional>
#include <string>

#include "apply/retry_policy.h"

namespace pgduplex {

struct SessionFailure {
  std::string message;  // secrets redacted where the text can hold them
  FailureKind kind = FailureKind::kOther;
  std::optional<int> exit_code;
  bool report = false;
};

// Classifies the exception that ended a session. Never throws.
SessionFailure ClassifyFailure(std::exception_ptr failure);

// True when a connection error message says the credentials were refused:
// not retried, a retry would only be refused again.
bool IsAuthenticationFailure(const std::string& message);

}  // namespace pgduplex
