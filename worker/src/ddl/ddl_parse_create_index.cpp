// Reads CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON
// [ONLY] table .... CONCURRENTLY is cut from the statement to run: the
// target builds the index inside the apply transaction, where CONCURRENTLY
// cannot run.
#include "ddl/ddl_parse_families.h"

namespace pgduplex {

std::string ReadCreateIndex(const DdlTokens& t, ParsedDdl& out) {
  size_t i = 0;
  if (!At(t, i, "create")) return "could not read the statement as CREATE INDEX";
  ++i;
  if (At(t, i, "unique")) ++i;
  if (!At(t, i, "index")) return "could not read the statement as CREATE INDEX";
  ++i;
  const SqlToken* concurrently = nullptr;
  if (At(t, i, "concurrently")) concurrently = &t[i++];
  SkipIfExists(t, i);
  if (!At(t, i, "on")) {
    size_t k = i;
    if (!ReadQualifiedName(t, k)) return "could not read the index name of CREATE INDEX";
    i = k;
  }
  if (!At(t, i, "on")) return "could not read the table of CREATE INDEX";
  ++i;
  if (At(t, i, "only")) ++i;
  auto name = ReadQualifiedName(t, i);
  if (!name) return "could not read the table of CREATE INDEX";
  out.tables.push_back({*name, /*own_object=*/true, ""});
  // out.statement starts at t.front() (token offsets are into the record's text).
  if (concurrently) out.statement.erase(concurrently->offset - t.front().offset, concurrently->length);
  return "";
}

}  // namespace pgduplex
