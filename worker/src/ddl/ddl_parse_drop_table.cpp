// Reads DROP TABLE [IF EXISTS] name [, ...] [CASCADE|RESTRICT]. None of the
// names is the statement's own object: an unqualified one takes its schema
// from the dropped objects' identities, or a catalog look-up.
#include "ddl/ddl_parse_families.h"

namespace pgduplex {

std::string ReadDropTable(const DdlTokens& t, ParsedDdl& out) {
  size_t i = 0;
  if (!At(t, i, "drop") || !At(t, i + 1, "table")) return "could not read the statement as DROP TABLE";
  i += 2;
  SkipIfExists(t, i);
  for (const auto& part : SplitTopLevel(t, i)) {
    size_t k = 0;
    auto name = ReadQualifiedName(part, k);
    if (!name) return "could not read the table names of DROP TABLE";
    out.tables.push_back({*name, /*own_object=*/false, ""});
  }
  return "";
}

}  // namespace pgduplex
