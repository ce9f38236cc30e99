// DdlParseFamilies: the statement readers of ddl/ddl_parse.cpp, one per
// command family, each in its own file. A reader gets the tokens of the one
// statement and fills in `out` the tables it names (schema not settled),
// and the family's own facts (temporary, partition parent, the first
// unsupported ALTER TABLE action, the statement without CONCURRENTLY).
// It returns why the statement cannot be carried as read, or "" when it can.
// Pure, never throws (std::bad_alloc aside). Used by ddl_parse.cpp only.
#pragma once

#include <string>

#include "ddl/ddl_parse.h"

namespace pgduplex {

std::string ReadCreateTable(const DdlTokens& t, ParsedDdl& out);
std::string ReadDropTable(const DdlTokens& t, ParsedDdl& out);
std::string ReadAlterTable(const DdlTokens& t, ParsedDdl& out);
std::string ReadCreateIndex(const DdlTokens& t, ParsedDdl& out);
std::string ReadCreateObject(const DdlTokens& t, ParsedDdl& out);

}  // namespace pgduplex
