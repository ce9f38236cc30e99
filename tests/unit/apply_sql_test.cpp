#include <catch2/catch.hpp>

#include "apply/sql_builder.h"
#include "apply/worker_status_row.h"

using namespace pgduplex;

namespace {
TableShape Orders() {
  TableShape shape;
  shape.quoted_table = "\"public\".\"orders\"";
  shape.columns = {{"\"id\"", "integer", true, false},
                   {"\"note\"", "text", false, false},
                   {"\"doc\"", "json", false, true}};
  return shape;
}
}  // namespace

TEST_CASE("insert_lists_every_column_in_order") {
  CHECK(BuildInsertSql(Orders(), false) ==
        "INSERT INTO \"public\".\"orders\" (\"id\", \"note\", \"doc\") VALUES ($1, $2, $3)");
  CHECK(BuildInsertSql(Orders(), true) ==
        "INSERT INTO \"public\".\"orders\" (\"id\", \"note\", \"doc\") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
}

TEST_CASE("update_sets_only_sent_columns_and_finds_row_by_key") {
  // doc unchanged (TOAST): left out of the SET list.
  CHECK(BuildUpdateSql(Orders(), {false, true, false}) ==
        "UPDATE \"public\".\"orders\" SET \"note\" = $1 WHERE \"id\" = $2");
  // Key changed: the key is set too, the row found by the old key.
  CHECK(BuildUpdateSql(Orders(), {true, true, true}) ==
        "UPDATE \"public\".\"orders\" SET \"id\" = $1, \"note\" = $2, \"doc\" = $3 WHERE \"id\" = $4");
  // Nothing sent but the key: the row must still be found.
  CHECK(BuildUpdateSql(Orders(), {false, false, false}) ==
        "UPDATE \"public\".\"orders\" SET \"id\" = \"id\" WHERE \"id\" = $1");
}

TEST_CASE("delete_finds_row_by_key") {
  CHECK(BuildDeleteSql(Orders()) == "DELETE FROM \"public\".\"orders\" WHERE \"id\" = $1");
}

TEST_CASE("keyless_tables_match_one_row_by_value_with_casts") {
  TableShape shape = Orders();
  shape.unique_key = false;
  for (auto& c : shape.columns) c.key = true;
  CHECK(BuildDeleteSql(shape) ==
        "DELETE FROM \"public\".\"orders\" WHERE (tableoid, ctid) = (SELECT t.tableoid, t.ctid FROM "
        "\"public\".\"orders\" AS t WHERE "
        "t.\"id\" IS NOT DISTINCT FROM $1::integer AND t.\"note\" IS NOT DISTINCT FROM $2::text AND "
        "t.\"doc\"::text IS NOT DISTINCT FROM $3::json::text LIMIT 1)");
}

TEST_CASE("multi_column_keys_number_params_after_set_list") {
  TableShape shape;
  shape.quoted_table = "\"s\".\"t\"";
  shape.columns = {{"\"a\"", "int", true, false}, {"\"v\"", "text", false, false}, {"\"b\"", "int", true, false}};
  CHECK(BuildUpdateSql(shape, {false, true, false}) == "UPDATE \"s\".\"t\" SET \"v\" = $1 WHERE \"a\" = $2 AND \"b\" = $3");
}

TEST_CASE("truncate_lists_tables_and_options") {
  CHECK(BuildTruncateSql({"\"a\".\"b\"", "\"c\".\"d\""}, true, true) ==
        "TRUNCATE TABLE \"a\".\"b\", \"c\".\"d\" RESTART IDENTITY CASCADE");
  CHECK(BuildTruncateSql({"\"a\".\"b\""}, false, false) == "TRUNCATE TABLE \"a\".\"b\"");
}

TEST_CASE("local_row_lookup_reads_commit_time_only_when_asked") {
  std::string with = BuildLocalRowsSql(Orders(), {0}, true, true);
  CHECK(with.find("pg_xact_commit_timestamp(t.xmin)") != std::string::npos);
  CHECK(with.find("WHERE t.\"id\" = $1") != std::string::npos);
  CHECK(BuildLocalRowsSql(Orders(), {0}, true, false).find("pg_xact_commit_timestamp") == std::string::npos);
}

TEST_CASE("conflict_row_types_remote_values_by_target_columns") {
  CHECK(BuildRemoteRowSql(Orders(), {0, 2}) ==
        "SELECT pg_catalog.to_jsonb(r)::text FROM (SELECT $1::integer AS \"id\", $2::json AS \"doc\") AS r");
  std::string sql = BuildConflictInsertSql();
  CHECK(sql.find("INSERT INTO pgduplex.conflicts") == 0);
  CHECK(sql.find("$9::jsonb") != std::string::npos);
}

TEST_CASE("keys_print_like_postgres") {
  std::string one = "1", x = "x";
  CHECK(FormatKey({"a", "b"}, {&one, &x}) == "(a, b)=(1, x)");
  CHECK(FormatKey({"a"}, {nullptr}) == "(a)=(NULL)");
}

TEST_CASE("worker_status_params_match_the_upsert") {
  WorkerStatusRow row;
  row.task = "shop";
  row.direction = "forward";
  row.state = "streaming";
  row.pid = 12;
  row.last_source_lsn = 0x100;
  std::vector<SqlParam> params = WorkerStatusParams(row);
  REQUIRE(params.size() == 14);
  CHECK(*params[0] == "shop");
  CHECK(*params[3] == "12");
  CHECK_FALSE(params[4].has_value());  // started_at unknown
  CHECK(*params[9] == "0/100");
  CHECK_FALSE(params[10].has_value());
  std::string sql = WorkerStatusUpsertSql();
  CHECK(sql.find("$14::jsonb") != std::string::npos);
  CHECK(sql.find("$15") == std::string::npos);
}

TEST_CASE("worker_status_keep_counts_sends_no_counts") {
  WorkerStatusRow row;
  row.task = "shop";
  row.direction = "forward";
  row.state = "copying";
  row.keep_counts = true;
  std::vector<SqlParam> params = WorkerStatusParams(row);
  REQUIRE(params.size() == 14);
  for (int i : {6, 7, 8, 13}) CHECK_FALSE(params[i].has_value());
  CHECK_FALSE(params[5].has_value());  // last_error kept
  std::string sql = WorkerStatusUpsertSql();
  CHECK(sql.find("COALESCE($7::bigint, w.applied_transactions)") != std::string::npos);
  CHECK(sql.find("COALESCE($14::jsonb, w.conflicts)") != std::string::npos);
}

TEST_CASE("conflict_counts_json_has_every_type_met") {
  WorkerMetrics metrics;
  metrics.CountConflict(ConflictType::kInsertExists, Resolution::kApplied);
  metrics.CountConflict(ConflictType::kInsertExists, Resolution::kSkipped);
  metrics.CountConflict(ConflictType::kDeleteMissing, Resolution::kSkipped);
  CHECK(ConflictCountsJson(metrics) == "{\"insert_exists\": 2, \"delete_missing\": 1}");
  metrics.CountConflict(ConflictType::kMultipleUniqueConflicts, Resolution::kKeptLocal);
  CHECK(ConflictCountsJson(metrics) ==
        "{\"insert_exists\": 2, \"delete_missing\": 1, \"multiple_unique_conflicts\": 1}");
  CHECK(ConflictCountsJson(WorkerMetrics()) == "{}");
}

TEST_CASE("multi_row_insert_numbers_params_row_after_row") {
  CHECK(BuildMultiInsertSql(Orders(), 2) ==
        "INSERT INTO \"public\".\"orders\" (\"id\", \"note\", \"doc\") VALUES ($1, $2, $3), ($4, $5, $6)");
  CHECK(BuildMultiInsertSql(Orders(), 1) == BuildInsertSql(Orders(), false));
}

TEST_CASE("multi_row_update_joins_typed_values_on_the_key") {
  CHECK(BuildMultiUpdateSql(Orders(), {false, true, false}, 2) ==
        "UPDATE \"public\".\"orders\" AS t SET \"note\" = v.\"_0\" FROM (VALUES ($1::text, $2::integer), "
        "($3::text, $4::integer)) AS v(\"_0\", \"_1\") WHERE t.\"id\" = v.\"_1\"");
  // Same parameter layout per row as the single-row statement.
  CHECK(BuildMultiUpdateSql(Orders(), {false, true, false}, 1) == BuildUpdateSql(Orders(), {false, true, false}));
  CHECK(BuildMultiUpdateSql(Orders(), {false, false, false}, 2) ==
        "UPDATE \"public\".\"orders\" AS t SET \"id\" = v.\"_0\" FROM (VALUES ($1::integer), ($2::integer)) "
        "AS v(\"_0\") WHERE t.\"id\" = v.\"_0\"");
}

TEST_CASE("multi_row_delete_joins_typed_keys") {
  CHECK(BuildMultiDeleteSql(Orders(), 3) ==
        "DELETE FROM \"public\".\"orders\" AS t USING (VALUES ($1::integer), ($2::integer), ($3::integer)) "
        "AS v(\"_0\") WHERE t.\"id\" = v.\"_0\"");
}

TEST_CASE("types_with_an_equality_operator_outside_pg_catalog_use_it_qualified") {
  // Sessions run with search_path = pg_catalog: citext's and hstore's "="
  // (in public) must be named, in every comparison the applier builds.
  TableShape shape;
  shape.quoted_table = "\"public\".\"c\"";
  shape.columns = {{"\"k\"", "public.citext", true, false, "OPERATOR(public.=)"},
                   {"\"v\"", "integer", false, false, ""}};
  CHECK(BuildDeleteSql(shape) == "DELETE FROM \"public\".\"c\" WHERE \"k\" OPERATOR(public.=) $1");
  CHECK(BuildMultiDeleteSql(shape, 2) ==
        "DELETE FROM \"public\".\"c\" AS t USING (VALUES ($1::public.citext), ($2::public.citext)) "
        "AS v(\"_0\") WHERE t.\"k\" OPERATOR(public.=) v.\"_0\"");
  shape.unique_key = false;
  shape.columns[0].type_name = "public.hstore";
  CHECK(BuildDeleteSql(shape) ==
        "DELETE FROM \"public\".\"c\" WHERE (tableoid, ctid) = (SELECT t.tableoid, t.ctid FROM "
        "\"public\".\"c\" AS t WHERE (t.\"k\" OPERATOR(public.=) $1::public.hstore OR "
        "(t.\"k\" IS NULL AND $1::public.hstore IS NULL)) LIMIT 1)");
}

namespace {
TableShape GuardedOrders(bool forward) {
  TableShape shape = Orders();
  shape.columns[0].name = "id";
  shape.last_write = LastWriteGuard{16384, 3, forward};
  return shape;
}
}  // namespace

TEST_CASE("last_write_guard_updates_and_deletes_only_rows_last_written_earlier_or_by_this_direction") {
  std::string update = BuildMultiUpdateSql(GuardedOrders(true), {false, true, false}, 1);
  CHECK(update ==
        "UPDATE \"public\".\"orders\" AS t SET \"note\" = v.\"_0\" FROM (VALUES ($1::text, $2::integer, "
        "$3::pg_catalog.timestamptz)) AS v(\"_0\", \"_1\", \"_ts\") WHERE t.\"id\" = v.\"_1\" AND (SELECT "
        "w.roident = 3 OR w.\"timestamp\" IS NULL OR w.\"timestamp\" <= v.\"_ts\" FROM "
        "pg_catalog.pg_xact_commit_timestamp_origin(t.xmin) AS w)");
  // reverse: a tie keeps the local row (cluster A's)
  CHECK(BuildMultiDeleteSql(GuardedOrders(false), 2) ==
        "DELETE FROM \"public\".\"orders\" AS t USING (VALUES ($1::integer, $2::pg_catalog.timestamptz), "
        "($3::integer, $4::pg_catalog.timestamptz)) AS v(\"_0\", \"_ts\") WHERE t.\"id\" = v.\"_0\" AND "
        "(SELECT w.roident = 3 OR w.\"timestamp\" IS NULL OR w.\"timestamp\" < v.\"_ts\" FROM "
        "pg_catalog.pg_xact_commit_timestamp_origin(t.xmin) AS w)");
  // the single-row forms (the conflict path's) carry no guard
  CHECK(BuildUpdateSql(GuardedOrders(true), {false, true, false}) ==
        "UPDATE \"public\".\"orders\" SET \"note\" = $1 WHERE \"id\" = $2");
}

TEST_CASE("last_write_guard_asks_fast_guard_when_the_target_has_it") {
  TableShape shape = GuardedOrders(true);
  shape.last_write->fast_guard = true;
  CHECK(BuildMultiDeleteSql(shape, 1) ==
        "DELETE FROM \"public\".\"orders\" AS t USING (VALUES ($1::integer, $2::pg_catalog.timestamptz)) AS "
        "v(\"_0\", \"_ts\") WHERE t.\"id\" = v.\"_0\" AND pgduplex.written_before(t.xmin, v.\"_ts\", true, 3, NULL)");
  shape.last_write->change_wins_ties = false;
  shape.last_write->copy_origin_ids = {7, 9};
  CHECK(BuildMultiDeleteSql(shape, 1).find("pgduplex.written_before(t.xmin, v.\"_ts\", false, 3, "
                                           "ARRAY[7, 9]::pg_catalog.oid[])") != std::string::npos);
  // INSERTs look tombstones up only when the table has any (an initplan)
  CHECK(BuildMultiInsertSql(shape, 1).find("WHERE (NOT (SELECT pgduplex.has_tombstones(16384)) OR NOT "
                                           "coalesce(pgduplex.tombstone_time(16384, ") != std::string::npos);
}

TEST_CASE("last_write_guard_inserts_only_keys_not_deleted_here_later") {
  CHECK(BuildMultiInsertSql(GuardedOrders(true), 1) ==
        "INSERT INTO \"public\".\"orders\" (\"id\", \"note\", \"doc\") SELECT v.\"_0\", v.\"_1\", v.\"_2\" "
        "FROM (VALUES ($1::integer, $2::text, $3::json, $4::pg_catalog.timestamptz)) AS v(\"_0\", \"_1\", "
        "\"_2\", \"_ts\") WHERE NOT coalesce(pgduplex.tombstone_time(16384, ARRAY['id']::text[], "
        "ARRAY[v.\"_0\"::text]::text[]) > v.\"_ts\", false)");
  TableShape quoted = GuardedOrders(false);
  quoted.columns[0].name = "it's";
  CHECK(BuildMultiInsertSql(quoted, 2).find("ARRAY['it''s']::text[]") != std::string::npos);
  CHECK(BuildMultiInsertSql(quoted, 2).find(">= v.\"_ts\"") != std::string::npos);
}


TEST_CASE("inserts_into_a_table_with_a_generated_always_identity_override_it") {
  TableShape shape = Orders();
  shape.overriding_system_value = true;
  CHECK(BuildInsertSql(shape, true) == "INSERT INTO \"public\".\"orders\" (\"id\", \"note\", \"doc\") OVERRIDING "
                                       "SYSTEM VALUE VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
  CHECK(BuildMultiInsertSql(shape, 2).find("(\"id\", \"note\", \"doc\") OVERRIDING SYSTEM VALUE VALUES ($1") !=
        std::string::npos);
  shape.columns[0].name = "id";
  shape.last_write = LastWriteGuard{1, 2, true};
  CHECK(BuildMultiInsertSql(shape, 1).find("(\"id\", \"note\", \"doc\") OVERRIDING SYSTEM VALUE SELECT v.") !=
        std::string::npos);
}

TEST_CASE("last_write_guard_counts_the_initial_copy_origins_as_this_directions_history") {
  TableShape shape = GuardedOrders(true);
  shape.last_write->copy_origin_ids = {7, 9};
  CHECK(BuildMultiDeleteSql(shape, 1).find("SELECT w.roident IN (3, 7, 9) OR") != std::string::npos);
  CHECK(BuildLocalRowsSql(shape, {0}, true, true).find("CASE WHEN w.roident IN (3, 7, 9) THEN NULL") !=
        std::string::npos);
}

TEST_CASE("last_write_guard_inserts_only_rows_no_later_local_holder_gave_a_unique_value_up") {
  TableShape shape = GuardedOrders(true);
  shape.columns[1].name = "note";
  shape.columns[1].claimed = true;
  // the extension keeps no claims (before 1.3): only the tombstone
  CHECK(BuildMultiInsertSql(shape, 1).find("claim_time") == std::string::npos);
  shape.last_write->value_claims = true;
  CHECK(BuildMultiInsertSql(shape, 1).find(
            " AND NOT coalesce(pgduplex.claim_time(16384, ARRAY['id', 'note']::text[], "
            "ARRAY[v.\"_0\"::text, v.\"_1\"::text]::text[]) > v.\"_ts\", false)") != std::string::npos);
  CHECK(BuildClaimTimeSql(shape) ==
        "SELECT ((extract(epoch FROM pgduplex.claim_time(16384, ARRAY['id', 'note']::text[], "
        "ARRAY[$1, $2]::text[])) - 946684800) * 1000000)::bigint::text");
  // no claimed column: nothing to ask
  shape.columns[1].claimed = false;
  CHECK(BuildMultiInsertSql(shape, 1).find("claim_time") == std::string::npos);
}

TEST_CASE("last_write_guard_holds_back_an_update_moving_onto_a_value_a_later_local_row_gave_up") {
  TableShape shape = GuardedOrders(true);
  shape.columns[1].name = "note";
  shape.columns[1].claimed = true;
  shape.last_write->value_claims = true;
  // the row keeps its value, or takes one no local row held later than the change
  CHECK(BuildMultiUpdateSql(shape, {false, true, false}, 1) ==
        "UPDATE \"public\".\"orders\" AS t SET \"note\" = v.\"_0\" FROM (VALUES ($1::text, $2::integer, "
        "$3::pg_catalog.timestamptz)) AS v(\"_0\", \"_1\", \"_ts\") WHERE t.\"id\" = v.\"_1\" AND (SELECT "
        "w.roident = 3 OR w.\"timestamp\" IS NULL OR w.\"timestamp\" <= v.\"_ts\" FROM "
        "pg_catalog.pg_xact_commit_timestamp_origin(t.xmin) AS w) AND (coalesce(t.\"note\" = v.\"_0\", false) "
        "OR NOT coalesce(pgduplex.claim_time(16384, ARRAY['id', 'note']::text[], "
        "ARRAY[t.\"id\"::text, v.\"_0\"::text]::text[]) > v.\"_ts\", false))");
  // the conflict path asks the same question, with the same parameters
  CHECK(BuildUpdateClaimTimeSql(shape, {false, true, false}) ==
        "SELECT ((extract(epoch FROM pgduplex.claim_time(16384, ARRAY['id', 'note']::text[], "
        "ARRAY[t.\"id\"::text, v.\"_0\"::text]::text[])) - 946684800) * 1000000)::bigint::text "
        "FROM \"public\".\"orders\" AS t, (VALUES ($1::text, $2::integer, $3::pg_catalog.timestamptz)) "
        "AS v(\"_0\", \"_1\", \"_ts\") WHERE t.\"id\" = v.\"_1\" AND NOT coalesce(t.\"note\" = v.\"_0\", false)");
  // a new key value is the row's once updated
  CHECK(BuildUpdateClaimTimeSql(shape, {true, true, false}).find("ARRAY[v.\"_0\"::text, v.\"_1\"::text]") !=
        std::string::npos);
  // no claimed column set, or no claims kept: the statement is the plain guarded one
  CHECK(BuildMultiUpdateSql(shape, {false, false, true}, 1).find("claim_time") == std::string::npos);
  CHECK(BuildUpdateClaimTimeSql(shape, {false, false, true}).empty());
  shape.last_write->value_claims = false;
  CHECK(BuildMultiUpdateSql(shape, {false, true, false}, 2).find("claim_time") == std::string::npos);
  // reverse: a tie goes to the claim (cluster A's)
  shape.last_write->value_claims = true;
  shape.last_write->change_wins_ties = false;
  CHECK(BuildMultiUpdateSql(shape, {false, true, false}, 1).find(">= v.\"_ts\", false))") != std::string::npos);
}
