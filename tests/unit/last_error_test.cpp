#include <catch2/catch.hpp>

#include "common/last_error.h"

using namespace pgduplex;

namespace {
constexpr PgTimestamp k20261130_060001 = 849333601000000;  // 2026-11-30 06:00:01 UTC
}

TEST_CASE("last_error_text_starts_with_the_time_it_happened") {
  CHECK(StampError(k20261130_060001 + 500000, "boom\nDETAIL:  more") ==
        "2026-11-30 06:00:01+00: boom\nDETAIL:  more");
}

TEST_CASE("last_error_text_is_taken_apart_again") {
  StampedError e = ParseStampedError(StampError(k20261130_060001, "a: b\nc"));
  CHECK(e.at == "2026-11-30 06:00:01+00");
  CHECK(e.message == "a: b\nc");
  // Written by an older worker: no time.
  e = ParseStampedError("relation \"t\" does not exist: at 12:00");
  CHECK(e.at.empty());
  CHECK(e.message == "relation \"t\" does not exist: at 12:00");
}
