// MappedSchema: the initial copy under [mapping] (common/name_mapping.h),
// when B keeps the synchronized tables under other names.
//
// pg_dump writes A's names, in SQL text and in string literals
// (nextval('app.t_id_seq'::regclass), COMMENT ON, OWNED BY ...), which no
// token rewrite reads reliably. So the pre-data script is restored as it
// is, and in the same transaction the created tables are moved to B's names
// with ALTER TABLE ... SET SCHEMA / RENAME TO (MoveCreatedTables): the
// server itself carries every dependent object along (owned sequences,
// defaults, constraints, row types). Sequences and types the script created
// in a renamed schema follow their schema; a schema the script created only
// to be left empty is dropped again. All or nothing, like pre-data itself.
//
// The rows are then copied into B's table under A's column names; the
// post-data statements (indexes, keys, foreign keys, triggers) name tables
// only schema-qualified (pg_dump runs with an empty search_path), and
// MapPostData rewrites those qualified names token by token (sql_lexer);
// columns are renamed last (RenameCreatedColumns, one transaction), so the
// index and constraint definitions follow by the server's own renaming.
// Consequence, stated: until the copy finishes, a created table has B's
// name but A's column names; the stream starts only after.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/name_mapping.h"
#include "common/pg_connection.h"
#include "initial_sync/dump_script.h"
#include "initial_sync/planned_tables.h"

namespace pgduplex {
namespace initial_sync {

// In the pre-data transaction, after the script, owners and grants.
void MoveCreatedTables(PgConnection& target, const NameMapping& mapping, const std::vector<PlannedTable>& tables,
                       const std::function<void(const std::string&)>& warn);

// Post-data statements with every schema-qualified name of a mapped table
// or schema under B's name.
std::vector<ScriptStatement> MapPostData(const NameMapping& mapping, std::vector<ScriptStatement> statements);

// After post-data: the created tables' columns get B's names.
void RenameCreatedColumns(PgConnection& target, const NameMapping& mapping, const std::vector<PlannedTable>& tables);

// The SQL text with every schema-qualified name s.n (or s.n.column) whose
// B name differs put under it (pure; used by MapPostData).
std::string MapQualifiedNames(const NameMapping& mapping, const std::string& sql);

}  // namespace initial_sync
}  // namespace pgduplex
