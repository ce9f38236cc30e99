#include "apply/apply_session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apply/tombstone_triggers.h"
#include "common/errors.h"
#include "common/table_scope.h"

namespace pgduplex {

namespace {
void SetSessionSettings(PgConnection& c, const std::string& source_encoding) {
  c.Exec("SET session_replication_role = replica");
  c.Exec("SET synchronous_commit = off");
  c.Exec("SET statement_timeout = 0");
  c.Exec("SET lock_timeout = 0");
  c.Exec("SET idle_in_transaction_session_timeout = 0");
  c.Exec("SET plan_cache_mode = force_generic_plan");
  // Every statement finds its row by key: never let a generic plan pick a
  // sequential scan of a small table that the batch itself fills with
  // row versions (they cannot be pruned before the batch commits).
  c.Exec("SET enable_seqscan = off");
  if (PQsetClientEncoding(c.get(), source_encoding.c_str()) != 0) {
    throw ApplyError(fmt::format("cluster {} cannot convert from the source encoding {}", c.label(),
                                 source_encoding));
  }
}

// Returns the origin's roident.
uint32_t SetupOrigin(PgConnection& c, const std::string& origin) {
  auto id = c.Scalar("SELECT pg_catalog.pg_replication_origin_oid($1)::text", {origin});
  if (!id) id = c.Scalar("SELECT pg_catalog.pg_replication_origin_create($1)::text", {origin});
  c.ExecParams("SELECT pg_catalog.pg_replication_origin_session_setup($1)", {origin});
  return static_cast<uint32_t>(std::stoul(id.value_or("0")));
}

// The origins the task's initial copy wrote B's rows under (extension 1.2).
std::vector<uint32_t> CopyOriginIds(PgConnection& c, const std::string& task) {
  PgResult r = c.ExecParams(
      "SELECT o::text FROM pgduplex.initial_sync, pg_catalog.unnest(copy_origins) AS o WHERE task = $1", {task});
  std::vector<uint32_t> ids;
  for (int i = 0; i < r.rows(); ++i) ids.push_back(static_cast<uint32_t>(std::stoul(r.Get(i, 0))));
  return ids;
}

void PrepareLastWriteWins(PgConnection& c, const ApplierOptions& options, RoleSwitch& roles) {
  RequireLastWriteWinsSupport(c);
  int created = EnsureTombstoneTriggers(c, roles, TableScope(options.TargetTables()));
  if (created) spdlog::info("cluster {}: tombstone triggers created on {} table(s)", c.label(), created);
  int64_t purged = PurgeTombstones(c, options.tombstone_retention_hours);
  if (purged) spdlog::info("cluster {}: {} tombstone(s) older than {} h forgotten", c.label(), purged,
                           options.tombstone_retention_hours);
}
}  // namespace

ApplySession PrepareApplySession(PgConnection& c, const std::string& source_encoding,
                                 const ApplierOptions& options, RoleSwitch& roles) {
  SetSessionSettings(c, source_encoding);
  if (!c.Scalar("SELECT pg_catalog.to_regclass('pgduplex.conflicts')::text")) {
    throw ApplyError(fmt::format("the pgduplex extension is not installed in database {} on cluster {} "
                                 "(run CREATE EXTENSION pgduplex there)",
                                 PQdb(c.get()), c.label()));
  }
  bool run_as = RunAsAvailable(c, options.apply_as_table_owner);
  roles.Setup(c, run_as, options.apply_as_table_owner);
  if (options.policy == ConflictPolicy::kLastWriteWins) PrepareLastWriteWins(c, options, roles);
  ApplySession session;
  session.origin_id = SetupOrigin(c, options.origin);
  if (options.policy == ConflictPolicy::kLastWriteWins && options.direction == Direction::kForward) {
    session.copy_origin_ids = CopyOriginIds(c, options.task);
  }
  if (options.policy == ConflictPolicy::kLastWriteWins) {
    session.value_claims =
        c.Scalar("SELECT pg_catalog.to_regprocedure('pgduplex.claim_time(oid, text[], text[])')::text").has_value();
    session.keyless_successors =
        c.Scalar("SELECT pg_catalog.to_regprocedure('pgduplex.keyless_successor(oid, text[], text[])')::text")
            .has_value();
    session.fast_guard =
        c.Scalar("SELECT pg_catalog.to_regprocedure('pgduplex.has_tombstones(oid)')::text").has_value();
  }
  session.search_path = c.Scalar("SELECT pg_catalog.current_setting('search_path')").value_or("public");
  session.has_status_table = c.Scalar("SELECT pg_catalog.to_regclass('pgduplex.worker_status')::text").has_value();
  if (!session.has_status_table) {
    spdlog::warn("cluster {} has no table pgduplex.worker_status (older extension script): status is not recorded",
                 c.label());
  }
  return session;
}

}  // namespace pgduplex
