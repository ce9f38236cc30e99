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
