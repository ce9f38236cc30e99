// Reads CREATE [OR REPLACE] TYPE | DOMAIN | FUNCTION name ...: the objects a
// synced table may use (an enum or composite column type, a domain, the
// function of a default, CHECK or generated column). The name is the
// statement's own object; its schema decides the scope (ddl_policy.h).
#include "ddl/ddl_parse_families.h"

namespace pgduplex {

std::string ReadCreateObject(const DdlTokens& t, ParsedDdl& out) {
  size_t i = 0;
  if (!At(t, i, "create")) return "could not read the statement as CREATE TYPE, DOMAIN or FUNCTION";
  ++i;
  if (At(t, i, "or") && At(t, i + 1, "replace")) i += 2;
  if (!At(t, i, "type") && !At(t, i, "domain") && !At(t, i, "function")) {
    return "could not read the statement as CREATE TYPE, DOMAIN or FUNCTION";
  }
  ++i;
  auto name = ReadQualifiedName(t, i);
  if (!name) return "could not read the name of the created object";
  out.object = DdlTable{*name, /*own_object=*/true, ""};
  return "";
}

}  // namespace pgduplex
