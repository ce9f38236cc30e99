#include <catch2/catch.hpp>

#include "common/lsn.h"
#include "common/pg_time.h"
#include "stream/replication_messages.h"
#include "stream/replication_stream.h"

using namespace pgduplex;

TEST_CASE("lsn_formats_like_pg_lsn") {
  CHECK(LsnToString(0) == "0/0");
  CHECK(LsnToString(0x16B3748) == "0/16B3748");
  CHECK(LsnToString((uint64_t{0xA} << 32) | 0xFF) == "A/FF");
}

TEST_CASE("lsn_parses_and_rejects_garbage") {
  Lsn lsn = 0;
  REQUIRE(ParseLsn("0/16B3748", &lsn));
  CHECK(lsn == 0x16B3748);
  REQUIRE(ParseLsn("a/ff", &lsn));
  CHECK(lsn == ((uint64_t{0xA} << 32) | 0xFF));
  CHECK_FALSE(ParseLsn("16B3748", &lsn));
  CHECK_FALSE(ParseLsn("0/", &lsn));
  CHECK_FALSE(ParseLsn("/1", &lsn));
  CHECK_FALSE(ParseLsn("0/1G", &lsn));
  CHECK_FALSE(ParseLsn("123456789/0", &lsn));
}

TEST_CASE("pg_timestamps_format_in_utc") {
  CHECK(FormatPgTimestamp(0) == "2000-01-01 00:00:00.000000+00");
  CHECK(FormatPgTimestamp(1500000) == "2000-01-01 00:00:01.500000+00");
  CHECK(FormatPgTimestamp(-1) == "1999-12-31 23:59:59.999999+00");
  CHECK(SecondsBetween(0, 2500000) == Approx(2.5));
}

TEST_CASE("xlogdata_header_is_parsed_big_endian") {
  std::string bytes(1, 'w');
  char buf[8];
  WriteBigEndian64(0x0102030405060708ULL, buf);
  bytes.append(buf, 8);
  WriteBigEndian64(0x1122334455667788ULL, buf);
  bytes.append(buf, 8);
  WriteBigEndian64(42, buf);
  bytes.append(buf, 8);
  bytes += "payload";
  ServerMessage m = ParseServerMessage(bytes.data(), bytes.size());
  REQUIRE(m.kind == ServerMessage::kXLogData);
  CHECK(m.data_start == 0x0102030405060708ULL);
  CHECK(m.wal_end == 0x1122334455667788ULL);
  CHECK(m.send_time == 42);
  CHECK(std::string(m.payload, m.payload_size) == "payload");
}

TEST_CASE("keepalive_reply_request_is_seen") {
  std::string bytes(kKeepaliveSize, '\0');
  bytes[0] = 'k';
  WriteBigEndian64(0x500, &bytes[1]);
  bytes[17] = 1;
  ServerMessage m = ParseServerMessage(bytes.data(), bytes.size());
  REQUIRE(m.kind == ServerMessage::kKeepalive);
  CHECK(m.wal_end == 0x500);
  CHECK(m.reply_requested);
  bytes[17] = 0;
  CHECK_FALSE(ParseServerMessage(bytes.data(), bytes.size()).reply_requested);
}

TEST_CASE("truncated_or_unknown_messages_are_errors") {
  CHECK(ParseServerMessage("w123", 4).kind == ServerMessage::kInvalid);
  CHECK(ParseServerMessage("k1", 2).kind == ServerMessage::kInvalid);
  ServerMessage m = ParseServerMessage("z", 1);
  CHECK(m.kind == ServerMessage::kInvalid);
  CHECK(m.error.find("0x7a") != std::string::npos);
  CHECK(ParseServerMessage("", 0).kind == ServerMessage::kInvalid);
}

TEST_CASE("standby_status_update_layout") {
  StandbyStatus s;
  s.write = 3;
  s.flush = 2;
  s.apply = 1;
  s.send_time = 7;
  s.reply_requested = true;
  std::string bytes = BuildStandbyStatus(s);
  REQUIRE(bytes.size() == kStandbyStatusSize);
  CHECK(bytes[0] == 'r');
  CHECK(ReadBigEndian64(&bytes[1]) == 3);
  CHECK(ReadBigEndian64(&bytes[9]) == 2);
  CHECK(ReadBigEndian64(&bytes[17]) == 1);
  CHECK(ReadBigEndian64(&bytes[25]) == 7);
  CHECK(bytes[33] == 1);
}

TEST_CASE("start_replication_command_quotes_names_and_values") {
  std::string command =
      BuildStartReplicationCommand("pgduplex_t_forward", 0x16B3748, {{"origins", "none"}, {"tables", "a's.*"}});
  CHECK(command ==
        "START_REPLICATION SLOT \"pgduplex_t_forward\" LOGICAL 0/16B3748 (\"origins\" 'none', \"tables\" 'a''s.*')");
  CHECK(BuildStartReplicationCommand("s", 0, {}) == "START_REPLICATION SLOT \"s\" LOGICAL 0/0");
}
