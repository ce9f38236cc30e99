#include <catch2/catch.hpp>

#include "ddl/mixed_transaction_guard.h"

using namespace pgduplex;

namespace {

v1::Record DdlRecord(const std::string& statement) {
  v1::Record record;
  v1::Ddl& ddl = *record.mutable_ddl();
  ddl.set_command_tag("CREATE TABLE");
  ddl.set_statement(statement);
  ddl.set_schema("public");
  ddl.set_standard_conforming_strings(true);
  return record;
}

// A DDL the policy accepted.
MixedTransactionGuard::Held HeldFor(const v1::Record& record) {
  MixedTransactionGuard::Held held;
  held.record = &record;
  held.decision.apply = true;
  held.decision.statement = record.ddl().statement();
  return held;
}

}  // namespace

TEST_CASE("held_ddl_is_applied_at_commit_when_no_rows_follow") {
  MixedTransactionGuard guard;
  guard.Begin();
  v1::Record record = DdlRecord("CREATE TABLE t (id int)");
  CHECK_FALSE(guard.Hold(HeldFor(record)).has_value());
  CHECK(guard.holding());
  auto apply = guard.TakeForApply();
  REQUIRE(apply.size() == 1);
  CHECK(apply[0].decision.apply);
  CHECK(apply[0].record == &record);
  CHECK_FALSE(guard.holding());
}

TEST_CASE("held_ddl_is_applied_in_its_original_order") {
  MixedTransactionGuard guard;
  guard.Begin();
  v1::Record first = DdlRecord("CREATE TABLE a (id int)");
  v1::Record second = DdlRecord("CREATE TABLE b (id int)");
  guard.Hold(HeldFor(first));
  guard.Hold(HeldFor(second));
  auto apply = guard.TakeForApply();
  REQUIRE(apply.size() == 2);
  CHECK(apply[0].record == &first);
  CHECK(apply[1].record == &second);
}

TEST_CASE("rows_after_ddl_drop_the_held_ddl_with_a_reason") {
  MixedTransactionGuard guard;
  guard.Begin();
  v1::Record record = DdlRecord("CREATE TABLE t (id int)");
  guard.Hold(HeldFor(record));
  auto dropped = guard.OnRowChange();
  REQUIRE(dropped.size() == 1);
  CHECK_FALSE(dropped[0].decision.apply);
  CHECK(dropped[0].decision.statement.empty());
  CHECK_THAT(dropped[0].decision.reason, Catch::StartsWith("DDL in a transaction that also changed rows"));
  CHECK(guard.TakeForApply().empty());
  CHECK(guard.seen_rows());
  // A later DDL in the same transaction is refused at once.
  auto later = guard.Hold(HeldFor(record));
  REQUIRE(later.has_value());
  CHECK_FALSE(later->decision.apply);
  // The next transaction starts clean.
  guard.Begin();
  CHECK_FALSE(guard.seen_rows());
  CHECK_FALSE(guard.Hold(HeldFor(record)).has_value());
}
