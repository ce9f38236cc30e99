#include "common/table_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "common/config.h"
#include "common/errors.h"
#include "common/sql_lexer.h"
#include "common/table_options_toml.h"

namespace pgduplex {

namespace {

constexpr std::pair<const char*, TableOperation> kOperationNames[] = {
    {"insert", kOpInsert}, {"update", kOpUpdate}, {"delete", kOpDelete}, {"truncate", kOpTruncate}};

ConfigError KeyError(const std::string& path, const std::string& key, const std::string& what) {
  return ConfigError(fmt::format("{}: {} {}", path, key, what));
}

std::string ReadFilter(const toml::table& section, const std::string& key, const std::string& dotted,
                       const std::string& path, const std::string& fallback) {
  const toml::node* node = section.get(key);
  if (!node) return fallback;
  if (!node->is_string()) throw KeyError(path, dotted, "must be a string (an SQL condition)");
  std::string text = node->as_string()->get();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) throw KeyError(path, dotted, "must not be empty");
  if (text.find('\0') != std::string::npos) throw KeyError(path, dotted, "must not contain a NUL character");
  return text;
}

unsigned ReadOperations(const toml::table& section, const std::string& key, const std::string& dotted,
                        const std::string& path, unsigned fallback) {
  const toml::node* node = section.get(key);
  if (!node) return fallback;
  const toml::array* array = node->as_array();
  if (!array) throw KeyError(path, dotted, "must be a list of operations (insert, update, delete, truncate)");
  unsigned operations = 0;
  for (const auto& item : *array) {
    if (!item.is_string()) throw KeyError(path, dotted, "must be a list of strings");
    std::string name = item.as_string()->get();
    unsigned bit = 0;
    for (const auto& [known, op] : kOperationNames) {
      if (name == known) bit = op;
    }
    if (bit == 0) {
      throw KeyError(path, dotted,
                     fmt::format("has unknown operation \"{}\" (expected insert, update, delete or truncate)", name));
    }
    operations |= bit;
  }
  return operations;
}

TableName ReadTableName(const std::string& key, const std::vector<std::string>& sync_tables,
                        const std::string& path) {
  static const std::regex kName(R"(^([^.\s*]+)\.([^.\s*]+)$)");
  std::smatch match;
  std::string dotted = fmt::format("table.\"{}\"", key);
  if (!std::regex_match(key, match, kName)) throw KeyError(path, dotted, "is not schema.table");
  TableName table{match[1], match[2]};
  if (!TableScope(sync_tables).Matches(table.schema, table.name)) {
    throw KeyError(path, dotted, "names a table that sync.tables does not include");
  }
  return table;
}

TableOptions ReadSection(const std::string& key, const toml::node& node, const std::vector<std::string>& sync_tables,
                         const std::string& path) {
  TableOptions options;
  options.table = ReadTableName(key, sync_tables, path);
  std::string prefix = fmt::format("table.\"{}\".", key);
  const toml::table* section = node.as_table();
  if (!section) throw KeyError(path, prefix.substr(0, prefix.size() - 1), "must be a [section]");
  static const std::set<std::string> kKeys = {"row_filter", "row_filter_forward", "row_filter_reverse",
                                              "operations", "operations_forward", "operations_reverse"};
  for (const auto& [name, value] : *section) {
    if (!kKeys.count(std::string(name.str()))) throw KeyError(path, prefix + std::string(name.str()), "unknown key");
  }
  std::string filter = ReadFilter(*section, "row_filter", prefix + "row_filter", path, "");
  options.forward.row_filter = ReadFilter(*section, "row_filter_forward", prefix + "row_filter_forward", path, filter);
  options.reverse.row_filter = ReadFilter(*section, "row_filter_reverse", prefix + "row_filter_reverse", path, filter);
  unsigned ops = ReadOperations(*section, "operations", prefix + "operations", path, kAllOperations);
  options.forward.operations = ReadOperations(*section, "operations_forward", prefix + "operations_forward", path, ops);
  options.reverse.operations = ReadOperations(*section, "operations_reverse", prefix + "operations_reverse", path, ops);
  return options;
}

}  // namespace

std::string OperationsText(unsigned operations) {
  std::string text;
  for (const auto& [name, op] : kOperationNames) {
    if (operations & op) text += (text.empty() ? "" : ", ") + std::string(name);
  }
  return text.empty() ? "none" : text;
}

const DirectionRules& TableOptions::For(Direction d) const {
  return d == Direction::kForward ? forward : reverse;
}

std::string TableOptions::CommonFilter() const {
  const std::string& f = forward.row_filter;
  const std::string& r = reverse.row_filter;
  if (f.empty() || f == r) return r;
  if (r.empty()) return f;
  return fmt::format("({}) AND ({})", f, r);
}

const TableOptions* FindTableOptions(const std::vector<TableOptions>& all, const TableName& table) {
  for (const auto& options : all) {
    if (options.table == table) return &options;
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> TableRulePluginOptions(const std::vector<TableOptions>& all,
                                                                        Direction direction) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& options : all) {
    const DirectionRules& rules = options.For(direction);
    std::string name = QuoteIdent(options.table.schema) + "." + QuoteIdent(options.table.name);
    if (!rules.row_filter.empty()) out.emplace_back("row_filter", name + " WHERE " + rules.row_filter);
    if (rules.operations != kAllOperations) {
      std::string list = OperationsText(rules.operations);
      list.erase(std::remove(list.begin(), list.end(), ' '), list.end());
      out.emplace_back("operations", name + " " + list);
    }
  }
  return out;
}

std::vector<TableOptions> ParseTableOptions(const toml::table& root, const std::vector<std::string>& sync_tables,
                                            const std::string& path) {
  std::vector<TableOptions> all;
  const toml::node* node = root.get("table");
  if (!node) return all;
  const toml::table* tables = node->as_table();
  if (!tables) throw KeyError(path, "table", "must be a set of [table.\"schema.name\"] sections");
  for (const auto& [key, section] : *tables) {
    all.push_back(ReadSection(std::string(key.str()), section, sync_tables, path));
  }
  return all;
}

}  // namespace pgduplex
