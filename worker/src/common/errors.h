// The worker's error hierarchy, and the SQLSTATEs it tests by name.
//
//   std::runtime_error
//     PgError               a statement failed; carries the SQLSTATE
//       ConnectionError     the server or network went away: retried for
//                           retry.connection_retry_minutes
//     ApplyError            what is being applied is wrong (not a connection):
//                           retried for retry.error_retry_minutes
//     DecodeError           a stream record that cannot be decoded
//     ConfigError           a bad config file or option: exit 2
//     SetupRefused          the target cannot run the configured apply mode
//                           (extension too old): exit 2
//     OperatorActionRequired  a state only an operator can resolve: exit 4
//     StopRequested         SIGTERM/SIGINT interrupted long work (the initial
//                           copy): not a failure, the run loop exits 0
//     ConflictStop          (apply/conflict_stop.h, carries the conflict)
//                           policy fail stopped the direction: exit 3
//     initial_sync::InitialSyncError  (initial_sync/initial_sync.h) a problem
//                           the operator must fix before a copy: exit 4
//     ClientProgramError    (initial_sync/client_program.h) pg_dump & co.
//   std::logic_error        an invariant failed (a bug): never retried, the run
//                           loop exits 4 with the message at once
//
// StreamWorker::Run (run/stream_worker.h) is the one place that turns these
// into an exit code or a retry; ClassifyFailure (run/session_failure.h) is
// that decision.
#pragma once

#include <stdexcept>
#include <string>

namespace pgduplex {

// SQLSTATEs the worker raises or tests (PostgreSQL's errcodes.txt names).
namespace sqlstate {
constexpr const char* kConnectionException = "08000";
constexpr const char* kProtocolViolation = "08P01";
constexpr const char* kUniqueViolation = "23505";
constexpr const char* kInsufficientPrivilege = "42501";
constexpr const char* kUndefinedTable = "42P01";
constexpr const char* kDuplicateObject = "42710";
constexpr const char* kDuplicateFunction = "42723";
constexpr const char* kObjectNotInPrerequisiteState = "55000";
constexpr const char* kObjectInUse = "55006";
constexpr const char* kQueryCanceled = "57014";
constexpr const char* kAdminShutdown = "57P01";
constexpr const char* kInternalError = "XX000";
}  // namespace sqlstate

class PgError : public std::runtime_error {
 public:
  PgError(const std::string& message, std::string sqlstate)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// The server or the network went away (or never answered): retryable.
class ConnectionError : public PgError {
 public:
  explicit ConnectionError(const std::string& message) : PgError(message, sqlstate::kConnectionException) {}
};

// A problem with what is being applied (not with a connection): retried
// within retry.error_retry_minutes, then fatal.
class ApplyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The target cannot run the configured apply mode (extension too old):
// an operator must act; the worker exits 2 with this one line.
class SetupRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A state only an operator can resolve; retrying cannot help.
class OperatorActionRequired : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A stop request (SIGTERM/SIGINT) cut long work short. Not an error: the
// work starts over on the next run.
class StopRequested : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace pgduplex
