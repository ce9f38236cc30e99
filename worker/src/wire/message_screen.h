// MessageScreen: what the worker makes of logical messages under the
// extension's prefixes and of Heartbeat records. Any role on the source can
// call pg_logical_emit_message under any prefix, so nothing under
// "pgduplex." is taken for more than it can prove:
//
//   * a heartbeat (a Heartbeat record, or a 'pgduplex.heartbeat' message the
//     plugin passed on as is) of this task (or of none) with a clock in
//     [2000-01-01, the worker's clock + 1 day] is used, for lag and status
//     only; a heartbeat of another task is ignored;
//   * a heartbeat whose content is malformed or whose clock is outside that
//     range is a forgery: before, such a clock made the status write fail
//     ("time zone displacement out of range") and the direction retried it
//     until it gave up. The lower bound is the wire format's epoch (a real
//     heartbeat read during a long catch-up can be days or months old, so
//     none tighter); the upper one allows for clocks of two hosts that
//     disagree, and nothing later is a real clock;
//   * from extension 1.1 on, DDL reaches the worker as Ddl records decoded
//     from pgduplex.ddl_log, never as a message: a 'pgduplex.ddl' message,
//     like one under any other "pgduplex." prefix, is a forgery.
//
// A forgery is ignored, counted (pgduplex_forged_messages_total) and warned
// about: the first at once, then at most once per interval, with how many
// came in between. Messages under other prefixes belong to other
// applications: ignored, not counted.
//
// Contract: never throws (std::bad_alloc aside); the warning is returned for
// the caller to log, never logged here. A forged heartbeat with this task's
// name and a plausible clock cannot be told from a real one; it can only
// make the displayed lag wrong.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "pgduplex.pb.h"
#include "common/pg_time.h"

namespace pgduplex {

class MessageScreen {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kWarnInterval{60};
  // How far the source's clock may run ahead of the worker's.
  static constexpr PgTimestamp kMaxClockAheadMicros = 24LL * 3600 * 1000000;

  struct Outcome {
    std::optional<PgTimestamp> heartbeat;  // a good heartbeat: its source time
    std::optional<std::string> warning;    // a line to log now
  };

  // `forged_total` (may be null) is incremented for every forgery.
  MessageScreen(std::string task, std::atomic<uint64_t>* forged_total,
                std::chrono::seconds warn_interval = kWarnInterval);
  MessageScreen(const MessageScreen&) = delete;
  MessageScreen& operator=(const MessageScreen&) = delete;

  // now: the worker's clock; at: for the warning rate.
  Outcome OnHeartbeat(const v1::Heartbeat& heartbeat, PgTimestamp now, Clock::time_point at);
  Outcome OnMessage(const v1::LogicalMessage& message, PgTimestamp now, Clock::time_point at);

  uint64_t forged() const { return forged_; }

 private:
  Outcome Heartbeat(const std::string& task, PgTimestamp source_time, uint64_t lsn, PgTimestamp now,
                    Clock::time_point at);
  Outcome Forged(const std::string& what, Clock::time_point at);

  std::string task_;
  std::atomic<uint64_t>* forged_total_;
  std::chrono::seconds warn_interval_;
  uint64_t forged_ = 0;
  uint64_t unreported_ = 0;  // forgeries since the last warning
  std::optional<Clock::time_point> last_warning_;
};

}  // namespace pgduplex
