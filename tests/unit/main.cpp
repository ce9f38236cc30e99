// Catch2 test runner for the unit tests (worker core and plugin core).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
