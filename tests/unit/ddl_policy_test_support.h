// Shared by the DdlPolicy tests (ddl_policy_test.cpp,
// ddl_policy_statement_test.cpp): a captured Ddl record, and Decide over
// ParseDdl's reading with look-up answers given as plain data, so no test
// needs a connection.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "ddl/ddl_policy.h"

namespace pgduplex::ddl_test {

inline v1::Ddl Make(const std::string& tag, const std::string& statement, const std::string& schema = "public") {
  v1::Ddl ddl;
  ddl.set_command_tag(tag);
  ddl.set_statement(statement);
  ddl.set_schema(schema);
  ddl.set_search_path("\"$user\", public");
  ddl.set_role("app");
  ddl.set_standard_conforming_strings(true);
  return ddl;
}

// Scope: everything in public, plus sales.orders.
inline DdlPolicy Policy() { return DdlPolicy(TableScope({"public.*", "sales.orders"})); }

inline DdlDecision Decide(const v1::Ddl& ddl, const SchemaLookups& looked_up = {}) {
  return Policy().Decide(ddl, ParseDdl(ddl), looked_up);
}

inline void RequireApplied(const DdlDecision& d) {
  INFO("reason: " << d.reason);
  REQUIRE(d.apply);
  REQUIRE(d.reason.empty());
}

inline void RequireRefused(const DdlDecision& d, const std::string& reason_start) {
  INFO("reason: " << d.reason);
  CHECK_FALSE(d.apply);
  CHECK(d.statement.empty());
  CHECK_THAT(d.reason, Catch::StartsWith(reason_start));
}

}  // namespace pgduplex::ddl_test
