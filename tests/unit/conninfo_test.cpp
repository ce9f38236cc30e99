#include <catch2/catch.hpp>

#include "common/conninfo.h"

using namespace pgduplex;

TEST_CASE("redact_conninfo_hides_password") {
  std::string out = RedactConninfo("host=db1 port=5432 user=app password=s3cret dbname=shop");
  CHECK(out.find("s3cret") == std::string::npos);
  CHECK(out.find("host=db1") != std::string::npos);
  CHECK(out.find("password=********") != std::string::npos);
}

TEST_CASE("redact_secrets_scrubs_free_text") {
  CHECK(RedactSecrets("failed: password=hunter2 host=x") == "failed: password=******** host=x");
  CHECK(RedactSecrets("password = 'a b c' dbname=x") == "password=******** dbname=x");
  CHECK(RedactSecrets("postgresql://app:hunter2@db/shop") == "postgresql://app:********@db/shop");
}

TEST_CASE("connection_defaults_add_keepalives_the_operator_did_not_set") {
  auto keys = [](const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::string out;
    for (const auto& [k, v] : pairs) out += k + "=" + v + " ";
    return out;
  };
  CHECK(keys(ConnectionDefaults("host=db1 dbname=shop")) ==
        "keepalives=1 keepalives_idle=20 keepalives_interval=10 keepalives_count=3 connect_timeout=30 ");
  CHECK(keys(ConnectionDefaults("shop")) ==
        "keepalives=1 keepalives_idle=20 keepalives_interval=10 keepalives_count=3 connect_timeout=30 ");
  CHECK(keys(ConnectionDefaults("host=db1 keepalives_idle=300 connect_timeout=5")) ==
        "keepalives=1 keepalives_interval=10 keepalives_count=3 ");
  CHECK(keys(ConnectionDefaults("postgresql://u@db1/shop?keepalives=0&keepalives_count=9")) ==
        "keepalives_idle=20 keepalives_interval=10 connect_timeout=30 ");
  // Unparsable: the defaults, and libpq reports the conninfo's own error.
  CHECK(keys(ConnectionDefaults("host='db1")).find("keepalives=1") == 0);
}
