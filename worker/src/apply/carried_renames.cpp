#include "apply/carried_renames.h"

#include "ddl/ddl_tokens.h"

namespace pgduplex {

namespace {

// ALTER TABLE [IF EXISTS] [ONLY] name [*] RENAME [COLUMN] a TO b | RENAME TO b
// (RENAME CONSTRAINT is not a name the rows use).
std::optional<CarriedRename> ReadRename(const DdlTokens& t, const std::string& schema) {
  size_t i = 0;
  if (!At(t, i, "alter") || !At(t, i + 1, "table")) return std::nullopt;
  i += 2;
  SkipIfExists(t, i);
  if (At(t, i, "only")) ++i;
  auto name = ReadQualifiedName(t, i);
  if (!name) return std::nullopt;
  if (i < t.size() && t[i].IsPunct('*')) ++i;
  if (!At(t, i, "rename")) return std::nullopt;
  ++i;
  CarriedRename out;
  out.schema = name->schema.empty() ? schema : name->schema;
  out.table = name->name;
  if (At(t, i, "constraint")) return std::nullopt;
  if (At(t, i, "to")) {
    if (i + 1 >= t.size() || !t[i + 1].IsIdentifier()) return std::nullopt;
    out.new_name = t[i + 1].value;
    return out;
  }
  if (At(t, i, "column")) ++i;
  if (i + 2 >= t.size() || !t[i].IsIdentifier() || !t[i + 1].IsWord("to") || !t[i + 2].IsIdentifier()) {
    return std::nullopt;
  }
  out.column = true;
  out.old_name = t[i].value;
  out.new_name = t[i + 2].value;
  return out;
}

}  // namespace

std::vector<CarriedRename> ReadRenames(const std::string& statement, const std::string& schema) {
  std::vector<CarriedRename> out;
  for (const SqlStatement& s : SplitStatements(statement)) {
    if (auto rename = ReadRename(s.tokens, schema)) out.push_back(std::move(*rename));
  }
  return out;
}

bool ApplyRenames(const std::vector<CarriedRename>& renames, SourceRelation& relation) {
  bool applied = false;
  for (const CarriedRename& r : renames) {
    if (r.schema != relation.schema || r.table != relation.name) continue;
    if (!r.column) {
      relation.name = r.new_name;
      applied = true;
      continue;
    }
    for (std::string& column : relation.column_names) {
      if (column == r.old_name) {
        column = r.new_name;
        applied = true;
      }
    }
  }
  return applied;
}

std::unique_ptr<SourceRelation> TranslateCarriedRenames(PgConnection& target, const SourceRelation& source) {
  std::optional<std::string> present = target.Scalar("SELECT pg_catalog.to_regclass('pgduplex.ddl_renames')::text");
  if (!present) return nullptr;
  PgResult rows = target.Exec("SELECT coalesce(schema, ''), statement FROM pgduplex.ddl_renames ORDER BY id");
  std::vector<CarriedRename> renames;
  for (int i = 0; i < rows.rows(); ++i) {
    for (auto& r : ReadRenames(rows.Get(i, 1), rows.Get(i, 0))) renames.push_back(std::move(r));
  }
  auto translated = std::make_unique<SourceRelation>(source);
  if (!ApplyRenames(renames, *translated)) return nullptr;
  return translated;
}

}  // namespace pgduplex
