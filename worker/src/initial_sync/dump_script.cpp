#include "initial_sync/dump_script.h"

#include <regex>
#include <string_view>

#include "common/sql_lexer.h"

namespace pgduplex {

std::string RemoveMetaCommands(const std::string& script) {
  static const std::regex kMeta(R"(^\\(restrict|unrestrict|connect)\b[^\n]*$)", std::regex::multiline);
  return std::regex_replace(script, kMeta, "");
}

std::vector<ScriptStatement> ParseDumpScript(const std::string& script) {
  std::vector<ScriptStatement> out;
  for (auto& statement : SplitStatements(RemoveMetaCommands(script))) {
    ScriptStatement s;
    const auto& t = statement.tokens;
    s.session = (!t.empty() && t[0].IsWord("set")) ||
                (t.size() > 3 && t[0].IsWord("select") && t[1].IsWord("pg_catalog") && t[3].IsWord("set_config"));
    s.text = std::move(statement.text);
    if (s.text.back() != ';') s.text += ';';
    out.push_back(std::move(s));
  }
  return out;
}

std::string SessionPrefix(const std::vector<ScriptStatement>& statements, size_t upto) {
  std::string prefix;
  for (size_t i = 0; i < upto; ++i) {
    if (statements[i].session) prefix += statements[i].text + "\n";
  }
  return prefix;
}

bool IsParallelPostDataStatement(const std::string& statement) {
  auto t = TokenizeSql(statement);
  size_t i = 0;
  auto at = [&](size_t k, std::string_view w) { return k < t.size() && t[k].IsWord(w); };
  if (at(0, "create")) {
    i = 1;
    if (at(i, "unique")) ++i;
    return at(i, "index");
  }
  if (at(0, "alter") && at(1, "table")) {
    // ALTER TABLE [ONLY] name ADD CONSTRAINT c PRIMARY KEY|UNIQUE|EXCLUDE|CHECK
    for (i = 2; i + 3 < t.size(); ++i) {
      if (t[i].IsWord("add") && t[i + 1].IsWord("constraint")) {
        const SqlToken& kind = t[i + 3];
        return kind.IsWord("primary") || kind.IsWord("unique") || kind.IsWord("exclude") || kind.IsWord("check");
      }
    }
  }
  return false;
}


}  // namespace pgduplex
