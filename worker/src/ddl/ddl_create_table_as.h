// The statement a CREATE TABLE ... AS or SELECT ... INTO captured on the
// source runs on the target: the table only, empty. Its rows follow it in
// the stream (the capture trigger writes the record at ddl_command_start,
// before the command writes them) and are applied into it like any rows;
// running the query on the target as well would insert them twice, from
// the target's data.
//
//   CREATE TABLE t AS SELECT ... [WITH [NO] DATA]
//     -> CREATE TABLE t AS SELECT ... WITH NO DATA
//   SELECT list INTO [TEMP|TEMPORARY|UNLOGGED] [TABLE] t FROM ...
//     -> CREATE [TEMP|UNLOGGED] TABLE t AS SELECT list FROM ... WITH NO DATA
//
// The query is still planned on the target (for the column types): one
// that cannot be there (a table it reads is missing) fails as any DDL does.
// Tokens come from the worker's lexer (common/sql_lexer.h): quotes and
// comments never move a boundary. Contract: pure, never throws
// (std::bad_alloc aside).
#pragma once

#include <optional>
#include <string>

#include "common/sql_lexer.h"

namespace pgduplex {

// `statement` (a CREATE TABLE ... AS, tokens and text as SplitStatements
// gives them) without a trailing WITH [NO] DATA, with " WITH NO DATA"
// appended; nullopt when it has no top-level AS.
std::optional<std::string> CreateTableAsWithNoData(const SqlStatement& statement);

// `statement` (a SELECT ... INTO) as the equivalent CREATE TABLE ... AS
// (without WITH NO DATA: CreateTableAsWithNoData adds it); nullopt when no
// INTO and table name can be read at the top level.
std::optional<std::string> SelectIntoAsCreateTable(const SqlStatement& statement);

}  // namespace pgduplex
