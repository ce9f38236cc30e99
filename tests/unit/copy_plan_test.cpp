#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "initial_sync/copy_plan.h"

using namespace pgduplex;

namespace {
SourceTable Table(const std::string& name, double rows, int64_t bytes) {
  SourceTable t;
  t.name = {"public", name};
  t.reltuples = rows;
  t.relation_bytes = bytes;
  t.relation_pages = bytes / 8192;
  t.columns = {"id", "v"};
  return t;
}
}  // namespace

TEST_CASE("small_tables_are_not_split") {
  CHECK(PartsFor(999999, 4, 1000000) == 1);
  CHECK(PartsFor(1000000, 4, 1000000) == 1);
  CHECK(PartsFor(5e9, 4, 0) == 1);  // splitting off
}

TEST_CASE("parts_round_up_to_a_multiple_of_the_workers") {
  CHECK(PartsFor(5000000, 4, 1000000) == 8);
  CHECK(PartsFor(1500000, 4, 1000000) == 4);
  CHECK(PartsFor(8000000, 4, 1000000) == 8);
  CHECK(PartsFor(3000000, 1, 1000000) == 3);
  CHECK(PartsFor(1e12, 4, 1000) == 256);  // capped
}

TEST_CASE("key_ranges_cover_everything_once_and_are_open_at_both_ends") {
  auto p = KeyRangePredicates("\"aid\"", 1, 100, 4);
  REQUIRE(p.size() == 4);
  CHECK(p[0] == "\"aid\" < 26");
  CHECK(p[1] == "\"aid\" >= 26 AND \"aid\" < 51");
  CHECK(p[2] == "\"aid\" >= 51 AND \"aid\" < 76");
  CHECK(p[3] == "\"aid\" >= 76");
}

TEST_CASE("key_ranges_shrink_for_narrow_ranges") {
  CHECK(KeyRangePredicates("k", 5, 5, 4) == std::vector<std::string>{""});
  auto p = KeyRangePredicates("k", 1, 2, 8);
  REQUIRE(p.size() == 2);
  CHECK(p[0] == "k < 2");
  CHECK(p[1] == "k >= 2");
  CHECK(KeyRangePredicates("k", 1, 100, 1) == std::vector<std::string>{""});
}

TEST_CASE("key_ranges_survive_the_full_int64_span") {
  auto p = KeyRangePredicates("k", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 4);
  REQUIRE(p.size() == 4);
  CHECK(p[0] == "k < -4611686018427387904");
  CHECK(p[1] == "k >= -4611686018427387904 AND k < 0");
  CHECK(p[3] == "k >= 4611686018427387904");
}

TEST_CASE("block_ranges_cover_the_heap_and_stay_open_above") {
  auto p = BlockRangePredicates(1000, 4);
  REQUIRE(p.size() == 4);
  CHECK(p[0] == "ctid < '(250,0)'::tid");
  CHECK(p[1] == "ctid >= '(250,0)'::tid AND ctid < '(500,0)'::tid");
  CHECK(p[3] == "ctid >= '(750,0)'::tid");
  CHECK(BlockRangePredicates(1, 4) == std::vector<std::string>{""});
  CHECK(BlockRangePredicates(3, 8).size() == 3);
}

TEST_CASE("plan_splits_big_tables_by_integer_key_and_orders_biggest_first") {
  std::vector<SourceTable> tables = {Table("branches", 50, 8192), Table("accounts", 5000000, 640000000),
                                     Table("history", 0, 0)};
  tables[1].int_key = "aid";
  tables[1].key_min = 1;
  tables[1].key_max = 5000000;
  auto tasks = PlanCopyTasks(tables, 4, 1000000);
  REQUIRE(tasks.size() == 10);
  for (int i = 0; i < 8; ++i) {
    CHECK(tasks[i].table == 1);
    CHECK(tasks[i].parts == 8);
    CHECK(tasks[i].estimated_rows == Approx(625000));
  }
  CHECK(tasks[0].where == "\"aid\" < 625001");
  CHECK(tasks[8].table == 0);
  CHECK(tasks[9].table == 2);
  CHECK(tasks[9].where.empty());
}

TEST_CASE("plan_falls_back_to_block_ranges_without_integer_key") {
  std::vector<SourceTable> tables = {Table("events", 3000000, 300 * 8192)};
  auto tasks = PlanCopyTasks(tables, 2, 1000000);
  REQUIRE(tasks.size() == 4);
  CHECK(tasks[0].where == "ctid < '(75,0)'::tid");
}

TEST_CASE("plan_skips_partitioned_parents_and_guesses_rows_of_unanalyzed_tables") {
  SourceTable parent = Table("m", 0, 0);
  parent.partitioned = true;
  SourceTable leaf = Table("m1", -1, 500000000);  // never analyzed: ~5M rows guessed
  leaf.parent = parent.name;
  auto tasks = PlanCopyTasks({parent, leaf}, 2, 1000000);
  REQUIRE(tasks.size() == 6);
  for (const auto& t : tasks) CHECK(t.table == 1);
}

TEST_CASE("partition_trees_must_be_wholly_in_scope") {
  SourceTable m = Table("m", 0, 0);
  m.partitioned = true;
  SourceTable m1 = Table("m1", 0, 0), m2 = Table("m2", 0, 0);
  m1.parent = m.name;
  m2.parent = m.name;
  std::vector<SourceTable> all = {m, m1, m2};
  CHECK(PartitionScopeProblems(all, {m.name, m1.name, m2.name}).empty());
  CHECK(PartitionScopeProblems(all, {}).empty());
  auto problems = PartitionScopeProblems(all, {m.name, m1.name});
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "partitioned table public.m has partitions outside the sync scope: public.m2");
  problems = PartitionScopeProblems(all, {m2.name});
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "partition public.m2 is in the sync scope but its partitioned table public.m is not");
}

TEST_CASE("copy_tasks_are_restricted_to_the_forward_row_filter_of_their_table_or_parent") {
  std::vector<SourceTable> tables = {Table("orders", 10, 8192), Table("orders_eu", 10, 8192), Table("other", 10, 8192)};
  tables[1].parent = TableName{"public", "orders"};
  std::vector<CopyTask> tasks(3);
  for (size_t i = 0; i < 3; ++i) tasks[i].table = i;
  tasks[1].where = "ctid < '(10,0)'";
  TableOptions rules;
  rules.table = {"public", "orders"};
  rules.forward.row_filter = "region = 'eu'";
  rules.reverse.row_filter = "region = 'us'";
  RestrictToRowFilters(tasks, tables, {rules});
  CHECK(tasks[0].where == "(region = 'eu')");
  CHECK(tasks[1].where == "(ctid < '(10,0)') AND (region = 'eu')");
  CHECK(tasks[2].where.empty());
}
