// CarriedRenames: translates the names of a source relation by the renames
// captured on the target (pgduplex.ddl_renames, extension 1.3). The case:
// B inserts a row into t(v); before it reaches A, A runs ALTER TABLE t
// RENAME COLUMN v TO w, which pgduplex carries to B. B's row still names v,
// which A no longer has: replayed through A's rename history, v is w, and
// the row lands there instead of becoming a target_column_missing conflict.
// The same for ALTER TABLE t RENAME TO u.
//
// ReadRenames is pure: it reads the ALTER TABLE ... RENAME statements of a
// captured query string (unqualified tables take the captured schema).
// ApplyRenames replays them, in capture order, over a relation's names.
// The applier only asks when something is missing on the target, and only
// keeps a translated name that the target has (relation_map.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "apply/relation_map.h"
#include "common/pg_connection.h"

namespace pgduplex {

struct CarriedRename {
  std::string schema;
  std::string table;     // the table's name when the rename ran
  bool column = false;   // RENAME [COLUMN] old TO new, else RENAME TO new (the table)
  std::string old_name;  // the column (column renames only)
  std::string new_name;
};

std::vector<CarriedRename> ReadRenames(const std::string& statement, const std::string& schema);

// The relation's schema, name and column names after the renames, in order;
// returns false when none applied.
bool ApplyRenames(const std::vector<CarriedRename>& renames, SourceRelation& relation);

// Reads pgduplex.ddl_renames on the target (nothing when the extension is
// older than 1.3) and returns the relation translated, or nullptr when no
// rename applies. Synchronous queries: no pipeline in flight.
std::unique_ptr<SourceRelation> TranslateCarriedRenames(PgConnection& target, const SourceRelation& source);

}  // namespace pgduplex
