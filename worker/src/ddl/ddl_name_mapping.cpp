#include "ddl/ddl_name_mapping.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "common/sql_lexer.h"

namespace pgduplex {

namespace {

// Words a DDL statement uses as keywords: a renamed column spelled like
// one cannot be told from it without a full parser.
bool IsDdlKeyword(const std::string& w) {
  static const std::set<std::string> kWords = {
      "add", "all", "alter", "and", "as", "asc", "by", "cascade", "check", "collate", "column", "constraint",
      "create", "data", "default", "deferrable", "desc", "drop", "exists", "first", "foreign", "generated",
      "if", "in", "include", "index", "initially", "is", "key", "last", "like", "not", "null", "nulls", "of",
      "on", "only", "or", "partition", "primary", "references", "rename", "restrict", "set", "table", "to",
      "type", "unique", "using", "where", "with"};
  return kWords.count(w) > 0;
}

using Key = std::pair<std::string, std::string>;  // a written name: schema (maybe empty), name
Key KeyOf(const WrittenName& w) { return {w.schema, w.name}; }

struct Replacement {
  size_t offset, length;
  std::string text;
};

class Rewriter {
 public:
  Rewriter(const std::string& statement, const ParsedDdl& parsed, const SchemaLookups& looked_up,
           const NameMapping& mapping)
      : sql_(statement), parsed_(parsed), mapping_(mapping), t_(TokenizeSql(statement)) {
    auto settle = [&](const DdlTable& table) {
      std::string schema = table.written.schema.empty() ? table.schema : table.written.schema;
      if (schema.empty()) {
        auto it = looked_up.find(table.written.name);
        if (it != looked_up.end()) schema = it->second;
      }
      if (!schema.empty()) settled_[KeyOf(table.written)] = TableName{schema, table.written.name};
    };
    for (const auto& table : parsed.tables) settle(table);
    if (parsed.partition_parent) settle(*parsed.partition_parent);
  }

  MappedDdl Run() {
    if (std::string why = Refusal(); !why.empty()) return {"", why};
    for (size_t i = 0; i < t_.size(); ++i) {
      if (!t_[i].IsIdentifier() || Punct(i - 1, '.')) continue;
      if (Punct(i + 1, '.') && i + 2 < t_.size() && t_[i + 2].IsIdentifier()) {
        Qualified(i);
        i += 2;
      } else if (!Punct(i + 1, '.')) {
        Unqualified(i);
      }
    }
    for (const auto& [written, a] : settled_) {
      if (!(mapping_.ToB(a) == a) && !rewritten_.count(written)) {
        return {"", fmt::format("[mapping]: table {} (B: {}) is named where the rewrite to B's names cannot "
                                "tell it is a table",
                                a.Display(), mapping_.ToB(a).Display())};
      }
    }
    std::string out;
    size_t copied = 0;
    for (const auto& r : replacements_) {
      out += sql_.substr(copied, r.offset - copied) + r.text;
      copied = r.offset + r.length;
    }
    return {out + sql_.substr(copied), ""};
  }

 private:
  bool Punct(size_t i, char c) const { return i < t_.size() && t_[i].IsPunct(c); }
  bool Word(size_t i, const char* w) const { return i < t_.size() && t_[i].IsWord(w); }

  // Tables the statement names that the parse does not list (a foreign
  // key's REFERENCES): qualified ones as written; an unqualified one that
  // might be mapped under some schema of the search_path is refused.
  std::string OtherTables(std::set<TableName>& with_columns) {
    for (size_t i = 0; i + 1 < t_.size(); ++i) {
      if (t_[i].IsIdentifier() && Punct(i + 1, '.') && i + 2 < t_.size() && t_[i + 2].IsIdentifier() &&
          !Punct(i - 1, '.')) {
        TableName a{t_[i].value, t_[i + 2].value};
        if (mapping_.HasColumnMapping(a)) with_columns.insert(a);
      }
      if (!Word(i, "references") || !t_[i + 1].IsIdentifier() || Punct(i + 2, '.')) continue;
      if (settled_.count(Key{"", t_[i + 1].value})) continue;
      for (const auto& schema : parsed_.search_path) {
        TableName a{schema, t_[i + 1].value};
        if (!(mapping_.ToB(a) == a) || mapping_.HasColumnMapping(a)) {
          return fmt::format("[mapping]: the referenced table \"{}\" is unqualified and may be the mapped {}",
                             a.name, a.Display());
        }
      }
    }
    return "";
  }

  std::string Refusal() {
    std::set<TableName> with_columns;
    for (const auto& [written, a] : settled_) {
      if (mapping_.HasColumnMapping(a)) with_columns.insert(a);
    }
    if (std::string why = OtherTables(with_columns); !why.empty()) return why;
    if (with_columns.size() > 1) {
      return fmt::format("[mapping]: the statement names several tables whose columns are renamed ({}, {})",
                         with_columns.begin()->Display(), std::next(with_columns.begin())->Display());
    }
    if (!with_columns.empty()) {
      column_table_ = *with_columns.begin();
      for (const auto& [a, b] : mapping_.ColumnsToB(column_table_)) {
        for (const auto& token : t_) {
          if (token.kind == SqlToken::Kind::kWord && token.value == a && IsDdlKeyword(a)) {
            return fmt::format("[mapping]: renamed column \"{}\" of {} is spelled like an SQL keyword", a,
                               column_table_.Display());
          }
        }
      }
    }
    if (parsed_.command == DdlCommand::kAlterTable) {
      for (size_t i = 0; i + 1 < t_.size(); ++i) {
        if (!Word(i, "rename") || !Word(i + 1, "to")) continue;
        for (const auto& table : parsed_.tables) {
          auto it = settled_.find(KeyOf(table.written));
          if (!table.own_object || it == settled_.end()) continue;
          const TableName& a = it->second;
          if (!(mapping_.ToB(a) == TableName{mapping_.SchemaToB(a.schema), a.name})) {
            return fmt::format("[mapping]: {} is renamed to {} on B; renaming it on A would leave its new name "
                               "without a B counterpart (change [mapping] and rename both)",
                               a.Display(), mapping_.ToB(a).Display());
          }
        }
      }
    }
    return "";
  }

  void Qualified(size_t i) {
    TableName a{t_[i].value, t_[i + 2].value};
    TableName b = mapping_.ToB(a);
    if (b == a) return;
    replacements_.push_back({t_[i].offset, t_[i + 2].offset + t_[i + 2].length - t_[i].offset,
                             QuoteQualified(b.schema, b.name)});
    rewritten_.insert(Key{a.schema, a.name});
  }

  bool TablePosition(size_t i) const {
    if (i == 0) return false;
    size_t p = i - 1;
    if (Word(p, "table") || Word(p, "only") || Word(p, "references") || Word(p, "like")) return true;
    if (Word(p, "of") && Word(p - 1, "partition")) return true;
    if (Word(p, "exists") && (Word(p - 2, "table") || (Word(p - 1, "not") && Word(p - 3, "table")))) return true;
    if (parsed_.command == DdlCommand::kCreateIndex && Word(p, "on")) return true;
    return parsed_.command == DdlCommand::kDropTable && Punct(p, ',');
  }

  void Unqualified(size_t i) {
    Key written{"", t_[i].value};
    auto it = settled_.find(written);
    if (it != settled_.end() && TablePosition(i)) {
      TableName b = mapping_.ToB(it->second);
      if (!(b == it->second)) {
        replacements_.push_back({t_[i].offset, t_[i].length, QuoteQualified(b.schema, b.name)});
      }
      rewritten_.insert(written);
      return;
    }
    if (column_table_.name.empty() || Punct(i + 1, '(')) return;
    std::string b = mapping_.ColumnToB(column_table_, t_[i].value);
    if (b != t_[i].value) replacements_.push_back({t_[i].offset, t_[i].length, QuoteIdent(b)});
  }

  const std::string& sql_;
  const ParsedDdl& parsed_;
  const NameMapping& mapping_;
  std::vector<SqlToken> t_;
  std::map<Key, TableName> settled_;
  std::set<Key> rewritten_;
  TableName column_table_;
  std::vector<Replacement> replacements_;
};

}  // namespace

MappedDdl MapDdlNames(const std::string& statement, const ParsedDdl& parsed, const SchemaLookups& looked_up,
                      const NameMapping& mapping) {
  if (mapping.empty()) return {statement, ""};
  return Rewriter(statement, parsed, looked_up, mapping).Run();
}

}  // namespace pgduplex
