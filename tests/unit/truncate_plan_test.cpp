// What a replicated TRUNCATE may touch on the target (issue 12): a source
// partition the target lacks becomes a DELETE of its partition bounds on the
// target's root, never the whole table; a foreign key from outside the
// TRUNCATE is refused, naming the constraint and its table.
#include <catch2/catch.hpp>

#include "apply/truncate_plan.h"
#include "common/errors.h"

using namespace pgduplex;

TEST_CASE("a table mapped by its own name is emptied whole", "[truncate]") {
  CHECK(TruncatedRows(false, "", "public.t", "public.t", "b").empty());
  CHECK(TruncatedRows(false, "(id = 1)", "public.m_1", "public.m_1", "b").empty());
}

TEST_CASE("a partition mapped to the target's root deletes only its bounds", "[truncate]") {
  CHECK(TruncatedRows(true, "((region IS NOT NULL) AND (region < 10))", "public.m_low", "public.m", "b") ==
        "((region IS NOT NULL) AND (region < 10))");
  CHECK(TruncatedRows(true, "true", "public.m_only", "public.m", "b") == "true");
}

TEST_CASE("a partition whose bounds did not travel is refused, naming both tables", "[truncate]") {
  try {
    TruncatedRows(true, "", "public.m_low", "public.m", "b");
    FAIL("no error");
  } catch (const ApplyError& e) {
    std::string what = e.what();
    CHECK(what.find("TRUNCATE of partition public.m_low not applied") != std::string::npos);
    CHECK(what.find("public.m") != std::string::npos);
    CHECK(what.find("never empties the whole table") != std::string::npos);
  }
}

TEST_CASE("partial tables become DELETEs after the TRUNCATE of the others", "[truncate]") {
  auto plan = PlanTruncate({{"public.m", 10, false, "(region < 10)"}, {"public.t", 10, false, ""},
                            {"public.m", 10, false, "(region >= 20)"}},
                           false, false);
  REQUIRE(plan.size() == 3);
  CHECK(plan[0].sql == "TRUNCATE TABLE public.t");
  CHECK(plan[1].sql == "DELETE FROM public.m WHERE (region < 10)");
  CHECK(plan[1].role == 10);
  CHECK(plan[2].sql == "DELETE FROM public.m WHERE (region >= 20)");
}

TEST_CASE("only partial tables: no TRUNCATE at all", "[truncate]") {
  auto plan = PlanTruncate({{"public.m", 11, false, "(id = 1)"}}, false, false);
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].sql == "DELETE FROM public.m WHERE (id = 1)");
  CHECK(plan[0].role == 11);
}

TEST_CASE("a foreign key from outside the TRUNCATE is refused by name", "[truncate]") {
  CHECK_NOTHROW(RefuseOutsideReferences({}, "b"));
  try {
    RefuseOutsideReferences({{"audit_pid_fkey", "public.audit", "public.parent"},
                             {"log_pid_fkey", "public.log", "public.parent"}},
                            "b");
    FAIL("no error");
  } catch (const ApplyError& e) {
    std::string what = e.what();
    CHECK(what.find("TRUNCATE of public.parent not applied on cluster b") != std::string::npos);
    CHECK(what.find("foreign key constraint \"audit_pid_fkey\" of table public.audit references it") !=
          std::string::npos);
    CHECK(what.find("never truncates with CASCADE") != std::string::npos);
    CHECK(what.find("2 such foreign keys") != std::string::npos);
  }
}
