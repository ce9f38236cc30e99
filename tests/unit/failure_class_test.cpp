// ClassifyFailure: which session failures end the process at once (and
// with which code) and which the run loop retries.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "common/errors.h"
#include "common/exit_codes.h"
#include "initial_sync/initial_sync.h"
#include "run/stream_worker.h"

using namespace pgduplex;

namespace {
template <typename E>
SessionFailure Classify(const E& e) {
  return ClassifyFailure(std::make_exception_ptr(e));
}
}  // namespace

TEST_CASE("invariant_failures_are_fatal_at_once") {
  SessionFailure f = Classify(std::logic_error("CommitBatch inside a source transaction"));
  REQUIRE(f.exit_code);
  CHECK(*f.exit_code == kExitFatal);
  CHECK(f.report);
  CHECK_THAT(f.message, Catch::Contains("CommitBatch inside a source transaction"));
  // Its subclasses too (std::out_of_range from .at(), ...).
  CHECK(Classify(std::out_of_range("map::at")).exit_code == kExitFatal);
}

TEST_CASE("operator_states_exit_with_their_code") {
  CHECK(Classify(SetupRefused("too old")).exit_code == kExitUsage);
  CHECK(Classify(OperatorActionRequired("slot missing")).exit_code == kExitFatal);
  CHECK(Classify(initial_sync::InitialSyncError("conflicting tables")).exit_code == kExitFatal);
  CHECK(Classify(ConflictStop("conflict", ConflictRecord{})).exit_code == kExitConflict);
  CHECK(Classify(ConflictStop("conflict", ConflictRecord{})).report);
  CHECK_FALSE(Classify(SetupRefused("too old")).report);
}

TEST_CASE("transient_failures_are_retried_by_kind") {
  SessionFailure connection = Classify(ConnectionError("server closed the connection"));
  CHECK_FALSE(connection.exit_code);
  CHECK(connection.kind == FailureKind::kConnection);
  SessionFailure statement = Classify(PgError("deadlock detected", "40P01"));
  CHECK_FALSE(statement.exit_code);
  CHECK(statement.kind == FailureKind::kOther);
  CHECK_FALSE(Classify(ApplyError("no such column")).exit_code);
  // A stop request is not fatal: the loop sees the stop flag and exits 0.
  CHECK_FALSE(Classify(StopRequested("initial copy stopped on request")).exit_code);
}

TEST_CASE("retried_messages_have_secrets_redacted") {
  SessionFailure f = Classify(ConnectionError("could not connect: password=hunter2 host=x"));
  CHECK_THAT(f.message, !Catch::Contains("hunter2"));
}

TEST_CASE("a_refused_row_filter_ends_the_process_with_exit_2") {
  SessionFailure f = Classify(PgError(
      "ERROR:  pgduplex: invalid row filter for table \"public.orders\": column \"nope\" does not exist", "22023"));
  CHECK(f.exit_code == kExitUsage);
  CHECK(f.report);
}
