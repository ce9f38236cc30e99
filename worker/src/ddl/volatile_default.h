// VolatileDefault: does an ALTER TABLE ... ADD [COLUMN] action give the
// table's existing rows values each cluster computes on its own? PostgreSQL
// fills the new column of every existing row when the ALTER runs (a table
// rewrite for a volatile default), and that rewrite is not decoded: the
// rows' new values never travel. So a default whose value depends on when
// or where it is computed -- now(), random(), nextval() (a serial or
// identity column draws from a sequence), CURRENT_TIMESTAMP, 'now' -- would
// leave the sides different without a word, and is refused instead.
//
// Read from the tokens only (no catalog): any function call counts as
// volatile except a few immutable built-ins (lower, upper, coalesce, ...);
// a refusal names what was found. A constant default (DEFAULT 7, DEFAULT
// 'x', DEFAULT '{}'::jsonb) is carried: both sides fill the same value.
// Contract: pure, never throws (std::bad_alloc aside).
#pragma once

#include <string>

#include "ddl/ddl_tokens.h"

namespace pgduplex {

// One ALTER TABLE action (as split by SplitTopLevel): "" when it is not an
// ADD COLUMN with such a default, else what makes it one ("now()",
// "a serial column", "an identity column", "CURRENT_TIMESTAMP").
std::string VolatileDefault(const DdlTokens& action);

}  // namespace pgduplex
