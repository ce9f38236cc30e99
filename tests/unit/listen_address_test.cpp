#include <catch2/catch.hpp>

#include "common/config.h"
#include "run/listen_address.h"

using namespace pgduplex;

TEST_CASE("listen_address_parses_host_and_port") {
  ListenAddress a = ParseListenAddress("127.0.0.1:9187");
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 9187);
  CHECK(a.ToString() == "127.0.0.1:9187");
  CHECK(ParseListenAddress("localhost:0").port == 0);
}

TEST_CASE("listen_address_accepts_bracketed_ipv6") {
  ListenAddress a = ParseListenAddress("[::1]:9187");
  CHECK(a.host == "::1");
  CHECK(a.port == 9187);
  CHECK(a.ToString() == "[::1]:9187");
}

TEST_CASE("listen_address_refuses_bad_text_with_a_config_error") {
  for (const char* text : {"9187", ":9187", "::1:9187", "[::1]9187", "[::1", "host:", "host:65536", "host:-1",
                           "host:12a", "host:99999999999"}) {
    INFO(text);
    CHECK_THROWS_AS(ParseListenAddress(text), ConfigError);
  }
}

TEST_CASE("reverse_direction_port_is_next_port_only_when_it_fits") {
  CHECK(ParseListenAddress("127.0.0.1:9187").WithPortOffset(1).ToString() == "127.0.0.1:9188");
  CHECK(ParseListenAddress("[::1]:0").WithPortOffset(1).port == 0);
  CHECK(ParseListenAddress("127.0.0.1:65534").WithPortOffset(1).port == 65535);
  CHECK_THROWS_WITH(ParseListenAddress("127.0.0.1:65535").WithPortOffset(1),
                    Catch::Contains("65535") && Catch::Contains("below 65535"));
}
