// sync.streaming / sync.spool_directory and the plugin options they become.
#include <catch2/catch.hpp>

#include <string>

#include "common/config.h"
#include "run/session_options.h"

using namespace pgduplex;

namespace {
const std::string kBase = R"(
name = "shop"
[a]
conninfo = "host=/tmp port=5432 dbname=shop"
[b]
conninfo = "host=/tmp port=5433 dbname=shop"
)";

std::string Value(const PluginOptions& options, const std::string& name) {
  for (const auto& [key, value] : options) {
    if (key == name) return value;
  }
  return "<absent>";
}
}  // namespace

TEST_CASE("streaming_is_on_by_default_and_not_explicit") {
  TaskConfig config = ParseConfig(kBase, "shop.toml");
  CHECK(config.sync.streaming);
  CHECK_FALSE(config.sync.streaming_explicit);
  CHECK(config.sync.spool_directory.empty());
}

TEST_CASE("streaming_and_spool_directory_are_read") {
  TaskConfig config =
      ParseConfig(kBase + "[sync]\nstreaming = false\nspool_directory = \"/var/lib/pgduplex/spool\"\n", "shop.toml");
  CHECK_FALSE(config.sync.streaming);
  CHECK(config.sync.streaming_explicit);
  CHECK(config.sync.spool_directory == "/var/lib/pgduplex/spool");
  CHECK(SpoolDirectoryFor(config, Direction::kForward) == "/var/lib/pgduplex/spool");
  CHECK_THROWS_WITH(ParseConfig(kBase + "[sync]\nspool_directory = \"\"\n", "shop.toml"),
                    Catch::Contains("sync.spool_directory"));
  CHECK_THROWS_WITH(ParseConfig(kBase + "[sync]\nstreaming = \"yes\"\n", "shop.toml"),
                    Catch::Contains("streaming"));
}

TEST_CASE("with_streaming_asks_for_proto_version_2") {
  TaskConfig config = ParseConfig(kBase, "shop.toml");
  PluginOptions plain = PluginOptionsFor(config, Direction::kForward);
  CHECK(Value(plain, "proto_version") == "1");
  CHECK(Value(plain, "streaming") == "<absent>");
  PluginOptions streaming = WithStreaming(plain);
  CHECK(Value(streaming, "proto_version") == "2");
  CHECK(Value(streaming, "streaming") == "on");
  CHECK(Value(streaming, "origins") == Value(plain, "origins"));
  CHECK(streaming.size() == plain.size() + 1);
}

TEST_CASE("an_old_plugin_refusing_version_2_is_recognized") {
  CHECK(IsStreamingRefusal("cluster a: START_REPLICATION of slot s: ERROR:  pgduplex: proto_version 2 is not "
                           "supported\nHINT:  This pgduplex speaks proto_version 1."));
  CHECK_FALSE(IsStreamingRefusal("ERROR:  replication slot \"s\" does not exist"));
  CHECK_FALSE(IsStreamingRefusal("ERROR:  pgduplex: proto_version 3 is not supported"));
}
