#include <catch2/catch.hpp>

#include "initial_sync/progress.h"

using namespace pgduplex;

TEST_CASE("bytes_are_shown_in_decimal_units") {
  CHECK(FormatBytes(0) == "0 B");
  CHECK(FormatBytes(999) == "999 B");
  CHECK(FormatBytes(1500) == "1.5 kB");
  CHECK(FormatBytes(12.04e6) == "12.0 MB");
  CHECK(FormatBytes(3.254e9) == "3.25 GB");
}

TEST_CASE("counts_are_abbreviated") {
  CHECK(FormatCount(532) == "532");
  CHECK(FormatCount(12345) == "12.3k");
  CHECK(FormatCount(1.2e6) == "1.20M");
  CHECK(FormatCount(3e9) == "3.00G");
}

TEST_CASE("durations_are_compact") {
  CHECK(FormatDuration(0) == "0s");
  CHECK(FormatDuration(41.6) == "42s");
  CHECK(FormatDuration(125) == "2m05s");
  CHECK(FormatDuration(3720) == "1h02m");
  CHECK(FormatDuration(-3) == "0s");
}

TEST_CASE("eta_needs_a_total_and_a_rate") {
  CHECK(EtaSeconds(50, 100, 10) == Approx(5));
  CHECK_FALSE(EtaSeconds(50, 0, 10).has_value());
  CHECK_FALSE(EtaSeconds(50, 100, 0).has_value());
  CHECK(*EtaSeconds(150, 100, 10) == 0);  // estimate exceeded: not negative
}

TEST_CASE("table_line_shows_rows_bytes_rate_and_eta") {
  TableProgressView v;
  v.name = "public.accounts";
  v.rows = 1.2e6;
  v.rows_estimated = 5e6;
  v.bytes = 98e6;
  v.elapsed_sec = 3;
  v.parts = 8;
  v.parts_done = 2;
  CHECK(FormatTableLine(v, 16) ==
        "public.accounts       1.20M/5.00M rows    98.0 MB   400.0k rows/s  ETA 10s  [2/8 parts]");
}

TEST_CASE("finished_table_line_shows_duration") {
  TableProgressView v;
  v.name = "public.branches";
  v.rows = 50;
  v.rows_estimated = 50;
  v.bytes = 1200;
  v.elapsed_sec = 0.4;
  v.done = true;
  v.parts_done = 1;
  CHECK(FormatTableLine(v, 0) == "public.branches               50 rows     1.2 kB      125 rows/s  done in 0s");
}

TEST_CASE("summary_line_totals_everything") {
  SummaryView s;
  s.tables = 4;
  s.tables_done = 3;
  s.rows = 1.2e6;
  s.rows_estimated = 5e6;
  s.bytes = 98e6;
  s.elapsed_sec = 4;
  CHECK(FormatSummary(s) == "copy: 3/4 tables, 1.20M/5.00M rows, 98.0 MB, 300.0k rows/s, 24.5 MB/s, ETA 13s");
  s.tables_done = 4;
  s.rows_estimated = 1.2e6;
  CHECK(FormatSummary(s) == "copy: 4/4 tables, 1.20M rows, 98.0 MB, 300.0k rows/s, 24.5 MB/s, in 4s");
}
