// sync.apply_memory_mb: the apply side's memory budget (common/memory_budget.h).
#include <catch2/catch.hpp>

#include "common/config.h"
#include "common/memory_budget.h"

using namespace pgduplex;

namespace {
std::string WithMemory(const std::string& line) {
  return "name = \"shop\"\n[a]\nconninfo = \"host=/tmp port=5432 dbname=shop\"\n"
         "[b]\nconninfo = \"host=/tmp port=5433 dbname=shop\"\n[sync]\n" + line + "\n";
}
}  // namespace

TEST_CASE("apply_memory_mb defaults to 256 and takes values within its bounds") {
  CHECK(ParseConfig(WithMemory(""), "shop.toml").sync.apply_memory_mb == MemoryBudget::kDefaultMb);
  CHECK(MemoryBudget::kDefaultMb == 256);
  CHECK(ParseConfig(WithMemory("apply_memory_mb = 64"), "shop.toml").sync.apply_memory_mb == 64);
  CHECK(ParseConfig(WithMemory("apply_memory_mb = 16"), "shop.toml").sync.apply_memory_mb == 16);
}

TEST_CASE("apply_memory_mb out of bounds or not an integer is an error naming the key") {
  CHECK_THROWS_WITH(ParseConfig(WithMemory("apply_memory_mb = 8"), "shop.toml"),
                    Catch::Contains("sync.apply_memory_mb") && Catch::Contains("between 16 and 1048576"));
  CHECK_THROWS_WITH(ParseConfig(WithMemory("apply_memory_mb = 2000000"), "shop.toml"),
                    Catch::Contains("sync.apply_memory_mb") && Catch::Contains("between"));
  CHECK_THROWS_WITH(ParseConfig(WithMemory("apply_memory_mb = \"256MB\""), "shop.toml"),
                    Catch::Contains("sync.apply_memory_mb") && Catch::Contains("integer"));
}
