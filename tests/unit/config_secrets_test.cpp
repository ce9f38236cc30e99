#include <catch2/catch.hpp>

#include "common/config_secrets.h"

using namespace pgduplex;

namespace {
TaskConfig WithPassword(int mode) {
  TaskConfig config = ParseConfig(
      "name = \"shop\"\n[a]\nconninfo = \"host=/tmp user=app password=s3cret\"\n[b]\nconninfo = \"host=/tmp\"\n",
      "/etc/pgduplex/shop.toml");
  config.file_mode = mode;
  return config;
}
}  // namespace

TEST_CASE("password_in_group_or_world_readable_config_warns_without_the_secret") {
  for (int mode : {0644, 0640, 0604, 0666}) {
    INFO(mode);
    auto warning = ReadablePasswordWarning(WithPassword(mode));
    REQUIRE(warning);
    CHECK_THAT(*warning, Catch::Contains("/etc/pgduplex/shop.toml") && Catch::Contains("a.conninfo") &&
                             Catch::Contains(mode == 0640 ? "group" : "others"));
    CHECK(warning->find("s3cret") == std::string::npos);
  }
  CHECK_THAT(ChmodFix(WithPassword(0644)), Catch::Contains("chmod 600 '/etc/pgduplex/shop.toml'"));
}

TEST_CASE("private_config_or_no_password_draws_no_warning") {
  CHECK_FALSE(ReadablePasswordWarning(WithPassword(0600)));
  CHECK_FALSE(ReadablePasswordWarning(WithPassword(0400)));
  CHECK_FALSE(ReadablePasswordWarning(WithPassword(-1)));
  TaskConfig uri = ParseConfig(
      "name = \"shop\"\n[a]\nconninfo = \"postgresql://app:pw@db/shop\"\n[b]\nconninfo = \"host=/tmp\"\n", "x.toml");
  uri.file_mode = 0644;
  CHECK(ReadablePasswordWarning(uri));
  TaskConfig key_passphrase = ParseConfig(
      "name = \"shop\"\n[a]\nconninfo = \"host=/tmp\"\n[b]\nconninfo = \"host=db sslpassword=k\"\n", "x.toml");
  key_passphrase.file_mode = 0640;
  CHECK_THAT(*ReadablePasswordWarning(key_passphrase), Catch::Contains("b.conninfo") && Catch::Contains("group"));
  TaskConfig none = ParseConfig("name = \"shop\"\n[a]\nconninfo = \"host=/tmp\"\n[b]\nconninfo = \"host=/tmp\"\n",
                                "x.toml");
  none.file_mode = 0644;
  CHECK_FALSE(ReadablePasswordWarning(none));
}
