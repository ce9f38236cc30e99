// The contents of pgduplex's own logical messages, and UTF-8 validation.
#include <catch2/catch.hpp>

#include <string>

#include "core/ddl_message.h"
#include "core/heartbeat_message.h"
#include "core/utf8.h"

using namespace pgduplex;

namespace {
Status Ddl(const std::string& s, DdlMessage* out) { return ParseDdlMessage(s.data(), s.size(), out); }
Status Beat(const std::string& s, HeartbeatMessage* out) {
  return ParseHeartbeatMessage(s.data(), s.size(), out);
}
}  // namespace

TEST_CASE("ddl_message_members_are_read_and_nulls_become_empty") {
  DdlMessage m;
  const std::string json =
      R"j({"statement":"CREATE TABLE t ()","search_path":"\"$user\", public",)j"
      R"j("role":"app","command_tag":"CREATE TABLE","object_type":"table",)j"
      R"j("object_identity":"public.t","schema":null,"in_function":false})j";
  REQUIRE(Ddl(json, &m).ok());
  CHECK(m.statement == "CREATE TABLE t ()");
  CHECK(m.search_path == "\"$user\", public");
  CHECK(m.schema.empty());
  CHECK_FALSE(m.in_function);
}

TEST_CASE("ddl_message_standard_conforming_strings_is_read_and_missing_means_off") {
  DdlMessage m;
  REQUIRE(Ddl(R"j({"statement":"x","standard_conforming_strings":true})j", &m).ok());
  CHECK(m.standard_conforming_strings);
  REQUIRE(Ddl(R"j({"statement":"x","standard_conforming_strings":false})j", &m).ok());
  CHECK_FALSE(m.standard_conforming_strings);
  // Absent: read as off, which the worker refuses, never as on.
  REQUIRE(Ddl(R"j({"statement":"x"})j", &m).ok());
  CHECK_FALSE(m.standard_conforming_strings);
  CHECK_FALSE(Ddl(R"j({"statement":"x","standard_conforming_strings":"on"})j", &m).ok());
}

TEST_CASE("malformed_ddl_message_is_an_error") {
  DdlMessage m;
  CHECK_FALSE(Ddl("", &m).ok());
  CHECK_FALSE(Ddl("[1]", &m).ok());
  CHECK_FALSE(Ddl(R"j({"role":"x"})j", &m).ok());               // no statement
  CHECK_FALSE(Ddl(R"j({"statement":1})j", &m).ok());            // wrong type
  CHECK_FALSE(Ddl(R"j({"statement":"x","in_function":"yes"})j", &m).ok());
  CHECK_FALSE(Ddl("{\"statement\":\"\xff\"}", &m).ok());      // not UTF-8
}

TEST_CASE("heartbeat_is_task_bar_clock") {
  HeartbeatMessage h;
  REQUIRE(Beat("shop|785000000123456", &h).ok());
  CHECK(h.task == "shop");
  CHECK(h.source_time == 785000000123456LL);
  REQUIRE(Beat("a|b|-12", &h).ok());  // the clock follows the last bar
  CHECK(h.task == "a|b");
  CHECK(h.source_time == -12);
  REQUIRE(Beat("|9223372036854775807", &h).ok());
  CHECK(h.task.empty());
  CHECK(h.source_time == INT64_MAX);
  REQUIRE(Beat("x|-9223372036854775808", &h).ok());
  CHECK(h.source_time == INT64_MIN);
}

TEST_CASE("malformed_heartbeat_is_an_error") {
  HeartbeatMessage h;
  CHECK_FALSE(Beat("shop", &h).ok());
  CHECK_FALSE(Beat("shop|", &h).ok());
  CHECK_FALSE(Beat("shop|-", &h).ok());
  CHECK_FALSE(Beat("shop|12x", &h).ok());
  CHECK_FALSE(Beat("shop|9223372036854775808", &h).ok());
  CHECK_FALSE(Beat("\xff|1", &h).ok());
}

TEST_CASE("utf8_validation_follows_rfc_3629") {
  auto valid = [](const std::string& s) { return IsValidUtf8(s.data(), s.size()); };
  CHECK(valid(""));
  CHECK(valid("plain ascii, long enough to take the eight-byte path"));
  CHECK(valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK(valid(std::string("nul\0inside", 10)));
  CHECK_FALSE(valid("\xc3"));                 // truncated
  CHECK_FALSE(valid("\xc0\xaf"));             // overlong
  CHECK_FALSE(valid("\xe0\x80\xaf"));         // overlong
  CHECK_FALSE(valid("\xed\xa0\x80"));         // surrogate
  CHECK_FALSE(valid("\xf4\x90\x80\x80"));     // above U+10FFFF
  CHECK_FALSE(valid("\xff"));
  CHECK_FALSE(valid("abcdefgh\x80"));
}
