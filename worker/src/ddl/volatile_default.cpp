#include "ddl/volatile_default.h"

#include <cctype>

namespace pgduplex {

namespace {

bool OneOf(const SqlToken& t, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (t.IsWord(w)) return true;
  }
  return false;
}

// Functions that give the same value on both sides for the same arguments.
bool ImmutableBuiltin(const SqlToken& t) {
  return OneOf(t, {"lower", "upper", "coalesce", "nullif", "greatest", "least", "abs", "round", "trim", "length",
                   "concat", "array", "row", "numeric", "int", "integer", "bigint", "varchar", "char", "decimal",
                   "timestamp", "timestamptz", "time", "interval", "bit", "character", "float"});
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

// The first thing in t[from..] (a DEFAULT expression and what follows it)
// whose value depends on when or where it is computed.
std::string VolatileIn(const DdlTokens& t, size_t from) {
  for (size_t i = from; i < t.size(); ++i) {
    if (OneOf(t[i], {"current_timestamp", "current_date", "current_time", "localtime", "localtimestamp",
                     "statement_timestamp", "transaction_timestamp", "clock_timestamp", "timeofday",
                     "session_user", "inet_server_addr"})) {
      std::string word = t[i].value;
      for (char& c : word) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
      return word;
    }
    if (t[i].kind == SqlToken::Kind::kString) {
      std::string v = Lower(t[i].value);
      for (const char* special : {"'now'", "'today'", "'tomorrow'", "'yesterday'"}) {
        if (v == special) return t[i].value;
      }
    }
    if (t[i].IsIdentifier() && i + 1 < t.size() && t[i + 1].IsPunct('(') && !ImmutableBuiltin(t[i]) &&
        !OneOf(t[i], {"as", "in", "exists", "any", "all", "some", "values", "select"})) {
      if (i > 0 && t[i - 1].IsPunct(':')) continue;  // a cast to a type with a typmod: ::varchar(3)
      return t[i].value + "()";
    }
  }
  return "";
}

}  // namespace

std::string VolatileDefault(const DdlTokens& a) {
  size_t i = 0;
  if (!At(a, i, "add")) return "";
  ++i;
  if (At(a, i, "column")) ++i;
  // ADD CONSTRAINT / CHECK / PRIMARY KEY / UNIQUE / FOREIGN KEY / EXCLUDE: no column.
  if (At(a, i, "constraint") || At(a, i, "check") || At(a, i, "primary") || At(a, i, "unique") ||
      At(a, i, "foreign") || At(a, i, "exclude")) {
    return "";
  }
  SkipIfExists(a, i);
  if (i >= a.size() || !a[i].IsIdentifier()) return "";
  ++i;  // the column name
  if (OneOf(a[i < a.size() ? i : 0], {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}) &&
      i < a.size()) {
    return "a " + Lower(a[i].value) + " column";
  }
  for (size_t k = i; k < a.size(); ++k) {
    if (a[k].IsWord("generated") && HasTopLevelWord(a, k, "identity")) return "an identity column";
    if (a[k].IsWord("default")) {
      std::string found = VolatileIn(a, k + 1);
      if (!found.empty()) return found;
    }
  }
  return "";
}

}  // namespace pgduplex
