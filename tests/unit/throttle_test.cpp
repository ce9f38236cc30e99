#include <catch2/catch.hpp>

#include "common/throttle.h"

using namespace pgduplex;
using namespace std::chrono;

TEST_CASE("unlimited_throttle_never_waits") {
  Throttle throttle(0, 0);
  CHECK(throttle.unlimited());
  CHECK(throttle.Admit(1000000, 1000000000) == Throttle::Clock::duration::zero());
}

TEST_CASE("row_limit_imposes_wait_proportional_to_excess") {
  Throttle throttle(1000, 0);
  auto now = Throttle::Clock::now();
  // The first second's budget (1000 rows) is free; 500 more cost half a second.
  CHECK(throttle.WaitFor(1000, 0, now) == Throttle::Clock::duration::zero());
  auto wait = duration_cast<milliseconds>(throttle.WaitFor(500, 0, now)).count();
  CHECK(wait >= 490);
  CHECK(wait <= 510);
}

TEST_CASE("byte_limit_and_row_limit_take_the_longer_wait") {
  Throttle throttle(1000000, 1000);
  auto now = Throttle::Clock::now();
  auto wait = duration_cast<milliseconds>(throttle.WaitFor(1, 3000, now)).count();
  CHECK(wait >= 1990);
  CHECK(wait <= 2010);
}

TEST_CASE("budget_refills_with_time") {
  Throttle throttle(100, 0);
  auto now = Throttle::Clock::now();
  CHECK(throttle.WaitFor(100, 0, now) == Throttle::Clock::duration::zero());
  CHECK(throttle.WaitFor(100, 0, now + seconds(1)) == Throttle::Clock::duration::zero());
}
