// Reads ALTER TABLE [IF EXISTS] [ONLY] name [*] action [, ...] and finds the
// first action that is not carried. Carried: RENAME TO, RENAME [COLUMN],
// RENAME CONSTRAINT, ADD [COLUMN] / ADD [CONSTRAINT x] CHECK|PRIMARY
// KEY|UNIQUE|FOREIGN KEY|EXCLUDE, DROP [COLUMN] / DROP CONSTRAINT, and
// ALTER [COLUMN] c [SET DATA] TYPE | SET|DROP DEFAULT | SET|DROP NOT NULL.
// ALTER TABLE ALL IN TABLESPACE is not carried.
#include "ddl/ddl_parse_families.h"
#include "ddl/volatile_default.h"

namespace pgduplex {

namespace {

// Empty when the action is carried, else a short description of it.
std::string UnsupportedAction(const DdlTokens& a) {
  if (a.empty()) return "an empty action";
  // RENAME ..., ADD ..., DROP ...: carried in every form.
  if (a[0].IsWord("rename") || a[0].IsWord("add") || a[0].IsWord("drop")) return "";
  if (!a[0].IsWord("alter")) return UpperWords(a, 0, 3);
  size_t i = 1;
  if (At(a, i, "constraint")) return "ALTER CONSTRAINT";
  if (At(a, i, "column")) ++i;
  if (i >= a.size() || !a[i].IsIdentifier()) return "ALTER COLUMN";
  ++i;  // column name
  if (At(a, i, "type")) return "";
  if (At(a, i, "set") && At(a, i + 1, "data") && At(a, i + 2, "type")) return "";
  if ((At(a, i, "set") || At(a, i, "drop")) && At(a, i + 1, "default")) return "";
  if ((At(a, i, "set") || At(a, i, "drop")) && At(a, i + 1, "not") && At(a, i + 2, "null")) return "";
  return "ALTER COLUMN ... " + UpperWords(a, i, 3);
}

}  // namespace

std::string ReadAlterTable(const DdlTokens& t, ParsedDdl& out) {
  size_t i = 0;
  if (!At(t, i, "alter") || !At(t, i + 1, "table")) return "could not read the statement as ALTER TABLE";
  i += 2;
  if (At(t, i, "all")) return "ALTER TABLE ALL IN TABLESPACE is not carried";
  SkipIfExists(t, i);
  if (At(t, i, "only")) ++i;
  auto name = ReadQualifiedName(t, i);
  if (!name) return "could not read the table name of ALTER TABLE";
  if (i < t.size() && t[i].IsPunct('*')) ++i;
  out.tables.push_back({*name, /*own_object=*/true, ""});
  for (const auto& action : SplitTopLevel(t, i)) {
    if (out.volatile_default.empty()) out.volatile_default = VolatileDefault(action);
    out.unsupported_action = UnsupportedAction(action);
    if (!out.unsupported_action.empty()) break;
  }
  if (i >= t.size()) out.unsupported_action = "an ALTER TABLE without action";
  return "";
}

}  // namespace pgduplex
