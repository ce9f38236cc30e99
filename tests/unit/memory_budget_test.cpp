#include "common/memory_budget.h"

#include <catch2/catch.hpp>

using pgduplex::MemoryBudget;

TEST_CASE("MemoryBudget shares the total between stream, held records and one statement") {
  MemoryBudget budget = MemoryBudget::FromMb(256);
  CHECK(budget.total == 256u << 20);
  CHECK(budget.stream_queue() == 32u << 20);
  CHECK(budget.held_records() == 128u << 20);
  CHECK(budget.statement() == 16u << 20);
  // What is in flight at once (the queue and as much again being decoded,
  // the held records, one statement) stays under the total.
  CHECK(2 * budget.stream_queue() + budget.held_records() + budget.statement() < budget.total);
}

TEST_CASE("MemoryBudget's default and bounds") {
  CHECK(MemoryBudget{}.total == static_cast<uint64_t>(MemoryBudget::kDefaultMb) << 20);
  MemoryBudget smallest = MemoryBudget::FromMb(MemoryBudget::kMinMb);
  CHECK(smallest.statement() == 1u << 20);
  MemoryBudget largest = MemoryBudget::FromMb(MemoryBudget::kMaxMb);
  CHECK(largest.total == uint64_t{1} << 40);
  CHECK(largest.held_records() == size_t{1} << 39);
}
