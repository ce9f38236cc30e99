// Schema drift: an incoming change names a table or a column the target no
// longer has (a DDL on the target raced rows still in flight from the
// source, e.g. A renamed or dropped column v while B's row with v was on
// its way). Never a stall: the change becomes a conflict.
//
//   target_table_missing   (reverse direction only; in the forward one a
//                          table missing on B is an ApplyError that stops,
//                          see RelationMap::set_missing_table_is_conflict)
//                          the row is skipped and recorded (relation = the
//                          source's schema.table, remote_row = the row)
//   target_column_missing  a non-key column: the row is applied without it,
//                          its value recorded in remote_row; a key column
//                          (the row cannot be placed): skipped and recorded
//
// Under conflict_policy fail every one of them stops the worker (exit 3,
// ConflictStop); under ignore, overwrite and last-write-wins what can be
// applied is applied and the rest is recorded.
//
// No guessing of renames: the source's Relation record carries names only,
// so a column renamed on the target is never matched to a target column by
// type or position. A rename captured on the target (which pgduplex carried
// to the source) is known, though: the names are translated through it
// first (carried_renames.h), and only what is still missing is drift.
#pragma once

#include <string>
#include <vector>

#include "apply/conflict_resolver.h"
#include "common/config.h"
#include "pgduplex.pb.h"

namespace pgduplex {

// `placeable`: the row can be applied without what is missing (a missing
// non-key column); false for a missing table or key column.
ConflictDecision DecideSchemaDrift(ConflictPolicy policy, bool placeable);

// The one line naming what is missing, e.g.
// table public.t on cluster a has no column "v" (the source table public.t has it)
std::string SchemaDriftLine(ConflictType type, const std::string& target_table, const std::string& label,
                            const std::vector<std::string>& missing_columns, const std::string& source_table);

// Keeps only the values at source positions `kept` (ascending) in the
// record's tuples (INSERT, UPDATE, DELETE): the row as the target can take it.
void ProjectRecord(v1::Record* record, const std::vector<int>& kept);

}  // namespace pgduplex
