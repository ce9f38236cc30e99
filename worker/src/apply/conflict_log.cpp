#include "apply/conflict_log.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apply/change_params.h"
#include "apply/sql_builder.h"

namespace pgduplex {

void ConflictLog::Write(PgConnection& target, RoleSwitch& roles, const ConflictRecord& record) {
  if (record.ddl) {
    const DdlConflict& ddl = *record.ddl;
    target.ExecParams(
        "INSERT INTO pgduplex.conflicts (task, direction, relation, conflict_type, resolution, local_row, "
        "remote_row, source_lsn, remote_commit_ts) SELECT $1, $2, $3, $4, $5, NULL, "
        "pg_catalog.jsonb_build_object('statement', $6::text, 'role', $7::text, 'reason', $8::text), "
        "$9::pg_lsn, $10::timestamptz",
        {task_, ToString(direction_), ddl.object_identity.empty() ? std::string("-") : ddl.object_identity,
         ToString(record.type), ToString(record.resolution), ddl.statement, ddl.role, ddl.reason,
         LsnToString(record.source_lsn), FormatPgTimestamp(record.remote_commit_time)});
    metrics_.CountConflict(record.type, record.resolution);
    return;  // the caller logs the one line
  }
  const TargetRelation& relation = *record.relation;
  std::vector<int> remote_columns;
  std::vector<SqlParam> params = {task_,
                                  ToString(direction_),
                                  relation.display,
                                  ToString(record.type),
                                  ToString(record.resolution),
                                  record.local_row,
                                  LsnToString(record.source_lsn),
                                  FormatPgTimestamp(record.remote_commit_time)};
  std::vector<SqlParam> remote;
  for (size_t i = 0; i < record.remote_values.size() && i < relation.shape.columns.size(); ++i) {
    const char* value = record.remote_values[i];
    if (value == kUnknownValue) continue;
    remote_columns.push_back(static_cast<int>(i));
    remote.push_back(value ? SqlParam(value) : SqlParam());
  }
  if (remote_columns.empty()) {
    params.emplace_back();
  } else {
    // Typed by the table's columns as its owner (their input and domain
    // checks are the owner's code), written as the worker.
    roles.Switch(target, roles.RoleFor(relation.owner));
    PgResult row = target.ExecParams(BuildRemoteRowSql(relation.shape, remote_columns), remote);
    roles.Switch(target, 0);
    params.push_back(row.rows() == 1 && !row.IsNull(0, 0) ? SqlParam(row.Get(0, 0)) : SqlParam());
  }
  target.ExecParams(BuildConflictInsertSql(), params);
  metrics_.CountConflict(record.type, record.resolution);
  // A failed one is reported by the line the worker stops with.
  if (record.resolution != Resolution::kFailed) {
    // [mapping]: the source's name of the table too.
    const bool mapped = relation.source && !relation.source->source_name.empty();
    spdlog::info("conflict {} on {}{} key {}: {}", ToString(record.type), relation.display,
                 mapped ? fmt::format(" (source table {})", relation.source->source_name) : std::string(),
                 record.key, ToString(record.resolution));
  }
}

}  // namespace pgduplex
