// The statements the applier sends for itself around the changes: the
// batch savepoint that bounds a segment (rolled back to on a surprise),
// and the replication origin calls that make progress commit with the
// data (xact_setup on every commit that carries changes, xact_reset on one
// that must not move progress, session_progress(true) to learn what is
// durable).
#pragma once

namespace pgduplex {
namespace apply_sql {

constexpr const char* kSavepoint = "SAVEPOINT pgduplex_batch";
constexpr const char* kRelease = "RELEASE SAVEPOINT pgduplex_batch";
constexpr const char* kRollbackToSavepoint = "ROLLBACK TO SAVEPOINT pgduplex_batch";
constexpr const char* kXactSetup =
    "SELECT pg_catalog.pg_replication_origin_xact_setup($1::pg_lsn, $2::timestamptz)";
constexpr const char* kXactReset = "SELECT pg_catalog.pg_replication_origin_xact_reset()";
constexpr const char* kSessionProgress = "SELECT pg_catalog.pg_replication_origin_session_progress(true)";

}  // namespace apply_sql

}  // namespace pgduplex
