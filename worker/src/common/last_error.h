// The text of pgduplex.worker_status.last_error: the error a direction last
// failed with, and when (the worker's clock, UTC, to the second). Extension
// 1.1 has no column for the time, so the text starts with it:
//
//   "2026-11-30 06:00:01+00: <error, as logged (redacted), any number of lines>"
//
// `pgduplex status` takes it apart again (ParseStampedError); text written
// by an older worker has no time. The worker clears the column once the
// direction carried something after the error (stream_worker.h).
//
// Contract: pure.
#pragma once

#include <string>

#include "common/pg_time.h"

namespace pgduplex {

std::string StampError(PgTimestamp at, const std::string& error);

struct StampedError {
  std::string at;       // "2026-11-30 06:00:01+00", or empty: no time in the text
  std::string message;
};

StampedError ParseStampedError(const std::string& text);

}  // namespace pgduplex
