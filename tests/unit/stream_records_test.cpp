// Streaming of in-progress transactions (proto_version 2): the encoder's
// Stream* records and stream_xid fields (the directly written ones byte for
// byte what protobuf writes), PeekEnvelope, and the worker's StreamSpool.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/errors.h"
#include "core/change_view.h"
#include "core/record_decoder.h"
#include "core/record_encoder.h"
#include "pgduplex.pb.h"
#include "run/stream_spool.h"
#include "wire/record_envelope.h"

using namespace pgduplex;

namespace {

struct Encoder {
  RecordEncoder* e = RecordEncoder::Create();
  ~Encoder() { RecordEncoder::Destroy(e); }
  RecordEncoder* operator->() { return e; }
  std::string Bytes(const Status& s) {
    REQUIRE(s.ok());
    std::string out(e->size(), '\xAA');
    e->WriteTo(&out[0]);
    return out;
  }
};

v1::Record Decode(const std::string& bytes) {
  v1::Record r;
  Status s = DecodeRecord(bytes.data(), bytes.size(), &r);
  INFO(s.message());
  REQUIRE(s.ok());
  return r;
}

ValueView Text(const std::string& s) { return ValueView{s.data(), static_cast<uint32_t>(s.size()), ValueKind::kText}; }

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/pgduplex-spool-test.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::vector<std::string> Replayed(StreamSpool& spool, uint32_t xid, std::vector<Lsn>* lsns = nullptr) {
  std::vector<std::string> out;
  spool.Replay(xid, [&](Lsn lsn, const char* data, size_t size) {
    out.emplace_back(data, size);
    if (lsns) lsns->push_back(lsn);
  });
  return out;
}

}  // namespace

TEST_CASE("stream_records_round_trip") {
  Encoder enc;
  v1::Record r = Decode(enc.Bytes(enc->EncodeStreamStart(700, true, nullptr)));
  CHECK(r.stream_start().xid() == 700);
  CHECK(r.stream_start().first_segment());
  CHECK(r.stream_start().commit_lsn() == 0);
  StreamCommitView committed{700, 10, 0, 30, "o"};
  r = Decode(enc.Bytes(enc->EncodeStreamStart(700, false, &committed)));
  CHECK_FALSE(r.stream_start().first_segment());
  CHECK(r.stream_start().commit_lsn() == 10);
  CHECK(r.stream_start().commit_time() == 30);
  CHECK(r.stream_start().origin() == "o");
  CHECK(Decode(enc.Bytes(enc->EncodeStreamStop())).has_stream_stop());
  r = Decode(enc.Bytes(enc->EncodeStreamCommit({700, 10, 20, 30, "o"})));
  CHECK(r.stream_commit().xid() == 700);
  CHECK(r.stream_commit().commit_lsn() == 10);
  CHECK(r.stream_commit().end_lsn() == 20);
  CHECK(r.stream_commit().commit_time() == 30);
  CHECK(r.stream_commit().origin() == "o");
  r = Decode(enc.Bytes(enc->EncodeStreamAbort(700, 701)));
  CHECK(r.stream_abort().xid() == 700);
  CHECK(r.stream_abort().subxid() == 701);
  CHECK(std::string(RecordKindName(r)) == "stream_abort");
}

TEST_CASE("stream_xid_is_carried_inside_a_block_and_absent_outside") {
  Encoder enc;
  std::string text(300, 'z');
  std::vector<ValueView> values = {Text(text), Text(text)};
  TupleView view{values.data(), 2};
  std::string plain = enc.Bytes(enc->EncodeInsert(5, view));
  enc->SetStreamXid(4000000000u);
  auto same = [&](const Status& s, const v1::Record& expected) { CHECK(enc.Bytes(s) == expected.SerializeAsString()); };
  {
    v1::Record r = Decode(plain);
    r.mutable_insert()->set_stream_xid(4000000000u);
    same(enc->EncodeInsert(5, view), r);
  }
  for (OldTupleKind kind : {OldTupleKind::kNone, OldTupleKind::kKey}) {
    v1::Record u;
    u.mutable_update()->set_relation_oid(5);
    for (int i = 0; i < 2; ++i) u.mutable_update()->mutable_new_tuple()->add_values()->set_text(text);
    u.mutable_update()->set_old_kind(static_cast<v1::OldTuple>(kind));
    if (kind != OldTupleKind::kNone) {
      for (int i = 0; i < 2; ++i) u.mutable_update()->mutable_old_tuple()->add_values()->set_text(text);
    }
    u.mutable_update()->set_stream_xid(4000000000u);
    same(enc->EncodeUpdate(5, view, kind, &view), u);
    v1::Record d;
    d.mutable_delete_()->set_relation_oid(5);
    d.mutable_delete_()->set_old_kind(static_cast<v1::OldTuple>(kind));
    if (kind != OldTupleKind::kNone) {
      for (int i = 0; i < 2; ++i) d.mutable_delete_()->mutable_old_tuple()->add_values()->set_text(text);
    }
    d.mutable_delete_()->set_stream_xid(4000000000u);
    same(enc->EncodeDelete(5, kind, &view), d);
  }
  uint32_t oids[] = {5};
  CHECK(Decode(enc.Bytes(enc->EncodeTruncate({oids, 1, false, false}))).truncate().stream_xid() == 4000000000u);
  enc->SetStreamXid(0);
  CHECK(enc.Bytes(enc->EncodeInsert(5, view)) == plain);
}

TEST_CASE("peek_envelope_reads_kind_and_stream_xid_only") {
  Encoder enc;
  std::string text(5000, 'q');
  std::vector<ValueView> values = {Text(text)};
  enc->SetStreamXid(42);
  std::string insert = enc.Bytes(enc->EncodeInsert(7, TupleView{values.data(), 1}));
  RecordEnvelope e = PeekEnvelope(insert.data(), insert.size(), 1);
  CHECK(e.kind == v1::Record::kInsertFieldNumber);
  CHECK(e.stream_xid == 42);
  enc->SetStreamXid(0);
  std::string stop = enc.Bytes(enc->EncodeStreamStop());
  e = PeekEnvelope(stop.data(), stop.size(), 1);
  CHECK(e.kind == v1::Record::kStreamStopFieldNumber);
  CHECK(e.stream_xid == 0);
  CHECK_THROWS_AS(PeekEnvelope(insert.data(), insert.size() - 1, 1), DecodeError);
  std::string trailing = insert + "x";
  CHECK_THROWS_AS(PeekEnvelope(trailing.data(), trailing.size(), 1), DecodeError);
  CHECK_THROWS_AS(PeekEnvelope("", 0, 1), DecodeError);
}

TEST_CASE("spool_replays_in_order_and_removes_the_file") {
  TempDir dir;
  StreamSpool spool(dir.path + "/s");
  struct stat st;
  REQUIRE(stat((dir.path + "/s").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  spool.StartBlock(10, true);
  spool.Append(10, 100, "a", 1);
  spool.EndBlock();
  spool.StartBlock(11, true);
  spool.Append(11, 150, "other", 5);
  spool.EndBlock();
  spool.StartBlock(10, false);
  std::string big(3 << 20, 'b');  // larger than the write buffer
  spool.Append(10, 200, big.data(), big.size());
  spool.Append(10, 300, "", 0);
  spool.EndBlock();
  CHECK(spool.open_transactions() == 2);
  std::vector<Lsn> lsns;
  CHECK(Replayed(spool, 10, &lsns) == std::vector<std::string>{"a", big, ""});
  CHECK(lsns == std::vector<Lsn>{100, 200, 300});
  CHECK_FALSE(std::filesystem::exists(spool.PathOf(10)));
  CHECK(std::filesystem::exists(spool.PathOf(11)));
  spool.Abort(11, 11);
  CHECK_FALSE(std::filesystem::exists(spool.PathOf(11)));
  CHECK(spool.open_transactions() == 0);
}

TEST_CASE("spool_subtransaction_abort_drops_it_and_what_followed") {
  TempDir dir;
  StreamSpool spool(dir.path);
  spool.StartBlock(10, true);
  spool.Append(10, 1, "top1", 4);
  spool.Append(11, 2, "sub11", 5);
  spool.Append(12, 3, "sub12", 5);
  spool.EndBlock();
  spool.StartBlock(10, false);
  spool.Append(12, 4, "sub12b", 6);
  spool.EndBlock();
  spool.Abort(10, 12);
  spool.Abort(10, 99);  // never spooled: nothing to do
  spool.StartBlock(10, false);
  spool.Append(10, 5, "top2", 4);
  spool.EndBlock();
  CHECK(Replayed(spool, 10) == std::vector<std::string>{"top1", "sub11", "top2"});
}

TEST_CASE("spool_refuses_protocol_violations_and_starts_empty") {
  TempDir dir;
  {
    StreamSpool spool(dir.path);
    spool.StartBlock(10, true);
    CHECK_THROWS_AS(spool.StartBlock(11, true), DecodeError);
    CHECK_THROWS_AS(spool.Append(0, 1, "x", 1), DecodeError);
    spool.Append(10, 1, "x", 1);
    CHECK_THROWS_AS(spool.Replay(10, [](Lsn, const char*, size_t) {}), DecodeError);
    spool.EndBlock();
    CHECK_THROWS_AS(spool.EndBlock(), DecodeError);
    CHECK_THROWS_AS(spool.StartBlock(12, false), DecodeError);
    CHECK_THROWS_AS(spool.Replay(13, [](Lsn, const char*, size_t) {}), DecodeError);
  }
  // Left over by a killed worker: removed when the next session starts.
  std::string stale = dir.path + "/77.spool";
  FILE* f = fopen(stale.c_str(), "w");
  fclose(f);
  StreamSpool again(dir.path);
  CHECK_FALSE(std::filesystem::exists(stale));
}

TEST_CASE("spool_directory_open_to_others_is_refused") {
  TempDir dir;
  std::string open_dir = dir.path + "/open";
  REQUIRE(mkdir(open_dir.c_str(), 0755) == 0);
  REQUIRE(chmod(open_dir.c_str(), 0755) == 0);
  CHECK_THROWS_AS(StreamSpool(open_dir), ConfigError);
  std::string link = dir.path + "/link";
  REQUIRE(symlink(dir.path.c_str(), link.c_str()) == 0);
  CHECK_THROWS_AS(StreamSpool(link), ConfigError);
}

TEST_CASE("spool_direct_block_spools_nothing") {
  TempDir dir;
  StreamSpool spool(dir.path);
  spool.StartBlock(10, true);
  spool.Append(10, 1, "early", 5);
  spool.EndBlock();
  CHECK(spool.Holds(10));
  CHECK(Replayed(spool, 10) == std::vector<std::string>{"early"});
  CHECK_FALSE(spool.Holds(10));
  spool.StartDirectBlock(10);
  CHECK(spool.InBlock());
  CHECK_THROWS_AS(spool.StartDirectBlock(11), DecodeError);
  spool.EndBlock();
  CHECK(spool.open_transactions() == 0);
}
