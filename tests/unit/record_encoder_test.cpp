// RecordEncoder: every record kind round-trips through DecodeRecord, and the
// directly written records are byte for byte what protobuf would write.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "core/change_view.h"
#include "core/record_decoder.h"
#include "core/record_encoder.h"
#include "pgduplex.pb.h"

using namespace pgduplex;

namespace {

// Owns an encoder for one test.
struct Encoder {
  RecordEncoder* e = RecordEncoder::Create();
  ~Encoder() { RecordEncoder::Destroy(e); }
  RecordEncoder* operator->() { return e; }

  // Writes the record just encoded; fails the test if encoding failed.
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

// Views point into the strings: literals, or strings that outlive the view.
ValueView Text(const char* s) {
  return ValueView{s, static_cast<uint32_t>(std::strlen(s)), ValueKind::kText};
}
ValueView Text(const std::string& s) {
  return ValueView{s.data(), static_cast<uint32_t>(s.size()), ValueKind::kText};
}
ValueView Text(std::string&&) = delete;
ValueView Null() { return ValueView{nullptr, 0, ValueKind::kNull}; }
ValueView Toast() { return ValueView{nullptr, 0, ValueKind::kUnchangedToast}; }

void FillTuple(const std::vector<ValueView>& in, v1::Tuple* out) {
  for (const ValueView& v : in) {
    v1::Value* value = out->add_values();
    switch (v.kind) {
      case ValueKind::kText: value->set_text(std::string(v.data, v.size)); break;
      case ValueKind::kNull: value->set_null(true); break;
      case ValueKind::kUnchangedToast: value->set_unchanged_toast(true); break;
      case ValueKind::kChunked: value->set_chunked(true); break;
    }
  }
}

TupleView View(const std::vector<ValueView>& v) {
  return TupleView{v.data(), static_cast<uint32_t>(v.size())};
}

}  // namespace

TEST_CASE("begin_and_commit_round_trip") {
  Encoder enc;
  v1::Record begin = Decode(enc.Bytes(enc->EncodeBegin({742, 0x16B374D848ULL, 785000000123456LL, "pgduplex_shop_forward"})));
  REQUIRE(begin.has_begin());
  CHECK(begin.begin().xid() == 742);
  CHECK(begin.begin().final_lsn() == 0x16B374D848ULL);
  CHECK(begin.begin().commit_time() == 785000000123456LL);
  CHECK(begin.begin().origin() == "pgduplex_shop_forward");

  v1::Record no_origin = Decode(enc.Bytes(enc->EncodeBegin({1, 2, 3, nullptr})));
  CHECK(no_origin.begin().origin().empty());

  v1::Record commit = Decode(enc.Bytes(enc->EncodeCommit({0x100, 0x128, -5})));
  REQUIRE(commit.has_commit());
  CHECK(commit.commit().commit_lsn() == 0x100);
  CHECK(commit.commit().end_lsn() == 0x128);
  CHECK(commit.commit().commit_time() == -5);
}

TEST_CASE("insert_carries_text_null_and_unchanged_toast_in_column_order") {
  Encoder enc;
  std::string big(300, 'x');
  std::vector<ValueView> values = {Text("42"), Null(), Toast(), Text(""), Text(big)};
  v1::Record r = Decode(enc.Bytes(enc->EncodeInsert(16385, View(values))));
  REQUIRE(r.has_insert());
  CHECK(r.insert().relation_oid() == 16385);
  const v1::Tuple& t = r.insert().new_tuple();
  REQUIRE(t.values_size() == 5);
  CHECK(t.values(0).text() == "42");
  CHECK(t.values(1).null());
  CHECK(t.values(2).unchanged_toast());
  CHECK(t.values(3).datum_case() == v1::Value::kText);
  CHECK(t.values(3).text().empty());
  CHECK(t.values(4).text() == big);
}

TEST_CASE("update_and_delete_old_tuple_kinds_round_trip") {
  Encoder enc;
  std::vector<ValueView> now = {Text("2"), Text("new")};
  std::vector<ValueView> key = {Text("1"), Null()};
  TupleView now_view = View(now), key_view = View(key);

  v1::Record none = Decode(enc.Bytes(enc->EncodeUpdate(7, now_view, OldTupleKind::kNone, nullptr)));
  CHECK(none.update().old_kind() == v1::OLD_TUPLE_NONE);
  CHECK_FALSE(none.update().has_old_tuple());
  CHECK(none.update().new_tuple().values(1).text() == "new");

  v1::Record keyed = Decode(enc.Bytes(enc->EncodeUpdate(7, now_view, OldTupleKind::kKey, &key_view)));
  CHECK(keyed.update().old_kind() == v1::OLD_TUPLE_KEY);
  REQUIRE(keyed.update().has_old_tuple());
  CHECK(keyed.update().old_tuple().values(0).text() == "1");
  CHECK(keyed.update().old_tuple().values(1).null());

  v1::Record full = Decode(enc.Bytes(enc->EncodeDelete(7, OldTupleKind::kFull, &now_view)));
  CHECK(full.delete_().old_kind() == v1::OLD_TUPLE_FULL);
  CHECK(full.delete_().old_tuple().values(1).text() == "new");

  v1::Record bare = Decode(enc.Bytes(enc->EncodeDelete(7, OldTupleKind::kNone, nullptr)));
  CHECK(bare.delete_().old_kind() == v1::OLD_TUPLE_NONE);
  CHECK_FALSE(bare.delete_().has_old_tuple());

  Status missing = enc->EncodeUpdate(7, now_view, OldTupleKind::kKey, nullptr);
  CHECK_FALSE(missing.ok());
  CHECK(enc->size() == 0);
}

TEST_CASE("relation_round_trips_with_columns_and_partition_root") {
  Encoder enc;
  ColumnView columns[] = {
      {"id", "integer", 23, -1, true},
      {"mood", "public.mood[]", 16500, -1, false},
      {"price", "numeric(10,2)", 1700, 655366, false},
  };
  RelationView rel{16400, "sales", "orders_2024", columns, 3, ReplicaIdentityKind::kIndex,
                   16390, "sales", "orders", "((at IS NOT NULL) AND (at >= '2024-01-01'::date))"};
  v1::Record r = Decode(enc.Bytes(enc->EncodeRelation(rel)));
  REQUIRE(r.has_relation());
  const v1::Relation& m = r.relation();
  CHECK(m.oid() == 16400);
  CHECK(m.schema() == "sales");
  CHECK(m.name() == "orders_2024");
  CHECK(m.replica_identity() == v1::REPLICA_IDENTITY_INDEX);
  CHECK(m.root_oid() == 16390);
  CHECK(m.root_schema() == "sales");
  CHECK(m.root_name() == "orders");
  CHECK(m.partition_constraint() == "((at IS NOT NULL) AND (at >= '2024-01-01'::date))");
  REQUIRE(m.columns_size() == 3);
  CHECK(m.columns(0).key());
  CHECK(m.columns(1).type_name() == "public.mood[]");
  CHECK(m.columns(1).type_oid() == 16500);
  CHECK(m.columns(2).typmod() == 655366);
  CHECK_FALSE(m.columns(2).key());

  // A second, narrower relation reuses the message without leftovers.
  RelationView plain{16401, "public", "t", columns, 1, ReplicaIdentityKind::kDefault, 0,
                     nullptr, nullptr};
  v1::Record p = Decode(enc.Bytes(enc->EncodeRelation(plain)));
  CHECK(p.relation().columns_size() == 1);
  CHECK(p.relation().root_oid() == 0);
  CHECK(p.relation().root_name().empty());
  CHECK(p.relation().partition_constraint().empty());
}

TEST_CASE("relation_name_that_is_not_utf8_is_an_error") {
  Encoder enc;
  RelationView rel{1, "public", "caf\xe9", nullptr, 0, ReplicaIdentityKind::kDefault, 0,
                   nullptr, nullptr};
  Status s = enc->EncodeRelation(rel);
  CHECK_FALSE(s.ok());
  CHECK(std::string(s.message()).find("UTF-8") != std::string::npos);
}

TEST_CASE("truncate_lists_relations_and_flags") {
  Encoder enc;
  uint32_t oids[] = {16400, 16410};
  v1::Record r = Decode(enc.Bytes(enc->EncodeTruncate({oids, 2, true, true})));
  REQUIRE(r.has_truncate());
  REQUIRE(r.truncate().relation_oids_size() == 2);
  CHECK(r.truncate().relation_oids(1) == 16410);
  CHECK(r.truncate().cascade());
  CHECK(r.truncate().restart_identity());
}

TEST_CASE("ddl_record_comes_from_the_event_trigger_json") {
  Encoder enc;
  const std::string json =
      R"j({"statement": "ALTER TABLE t ADD c int", "search_path": "public",)j"
      R"j( "role": "app", "command_tag": "ALTER TABLE", "object_type": "table",)j"
      R"j( "object_identity": "public.t", "schema": "public", "in_function": true,)j"
      R"j( "standard_conforming_strings": true, "added_later": 1})j";
  v1::Record r = Decode(enc.Bytes(enc->EncodeDdl(json.data(), json.size(), true)));
  REQUIRE(r.has_ddl());
  CHECK(r.ddl().statement() == "ALTER TABLE t ADD c int");
  CHECK(r.ddl().role() == "app");
  CHECK(r.ddl().command_tag() == "ALTER TABLE");
  CHECK(r.ddl().object_identity() == "public.t");
  CHECK(r.ddl().in_function());
  CHECK(r.ddl().has_dml());
  CHECK(r.ddl().standard_conforming_strings());

  std::string drop = R"j({"statement": "DROP TABLE t", "object_type": null})j";
  v1::Record d = Decode(enc.Bytes(enc->EncodeDdl(drop.data(), drop.size(), false)));
  CHECK(d.ddl().object_type().empty());
  CHECK_FALSE(d.ddl().in_function());
  CHECK_FALSE(d.ddl().has_dml());
  CHECK_FALSE(d.ddl().standard_conforming_strings());

  std::string bad = "{not json";
  CHECK_FALSE(enc->EncodeDdl(bad.data(), bad.size(), false).ok());
}

TEST_CASE("heartbeat_and_message_records") {
  Encoder enc;
  std::string beat = "shop|785000000123456";
  v1::Record h = Decode(enc.Bytes(enc->EncodeHeartbeat(beat.data(), beat.size(), 0x2A)));
  REQUIRE(h.has_heartbeat());
  CHECK(h.heartbeat().task() == "shop");
  CHECK(h.heartbeat().source_time() == 785000000123456LL);
  CHECK(h.heartbeat().lsn() == 0x2A);
  CHECK_FALSE(enc->EncodeHeartbeat("shop", 4, 1).ok());

  const char content[] = {'\x00', '\xff', 'a'};
  v1::Record m = Decode(enc.Bytes(enc->EncodeMessage({"app.audit", content, 3, true, 99})));
  REQUIRE(m.has_message());
  CHECK(m.message().prefix() == "app.audit");
  CHECK(m.message().content() == std::string(content, 3));
  CHECK(m.message().transactional());
  CHECK(m.message().lsn() == 99);
}

TEST_CASE("encoder_switches_between_kinds_without_leftovers") {
  Encoder enc;
  std::vector<ValueView> wide = {Text("1"), Text("a"), Text("b"), Null()};
  std::vector<ValueView> narrow = {Null()};
  for (int round = 0; round < 3; ++round) {
    CHECK(Decode(enc.Bytes(enc->EncodeBegin({1, 2, 3, nullptr}))).has_begin());
    CHECK(Decode(enc.Bytes(enc->EncodeInsert(5, View(wide)))).insert().new_tuple().values_size() == 4);
    uint32_t oid = 5;
    CHECK(Decode(enc.Bytes(enc->EncodeTruncate({&oid, 1, false, false}))).has_truncate());
    CHECK(Decode(enc.Bytes(enc->EncodeInsert(5, View(narrow)))).insert().new_tuple().values_size() == 1);
    std::string beat = "t|1";
    CHECK(Decode(enc.Bytes(enc->EncodeHeartbeat(beat.data(), beat.size(), 1))).has_heartbeat());
    CHECK(Decode(enc.Bytes(enc->EncodeCommit({1, 2, 3}))).has_commit());
  }
}

TEST_CASE("record_larger_than_a_postgres_buffer_is_an_error_not_a_write") {
  Encoder enc;
  ValueView huge{nullptr, 0x3ffffff0u, ValueKind::kText};  // never read
  Status s = enc->EncodeInsert(1, TupleView{&huge, 1});
  CHECK_FALSE(s.ok());
  CHECK(enc->size() == 0);
}

TEST_CASE("directly_written_records_equal_protobuf_serialization") {
  Encoder enc;
  std::string long_text(200, 'y');  // lengths above 127 take two varint bytes
  std::vector<ValueView> values = {Text("1"), Null(), Toast(), Text(""), Text(long_text)};
  std::vector<ValueView> many(70, Text(long_text));  // a tuple above 16 KB
  TupleView view = View(values), many_view = View(many);

  auto same = [&](const Status& s, const v1::Record& expected) {
    std::string ours = enc.Bytes(s);
    CHECK(ours == expected.SerializeAsString());
  };

  {
    v1::Record r;
    r.mutable_begin()->set_xid(4000000000u);
    r.mutable_begin()->set_final_lsn(0xFFFFFFFFFFFFULL);
    r.mutable_begin()->set_commit_time(-1);
    r.mutable_begin()->set_origin("o");
    same(enc->EncodeBegin({4000000000u, 0xFFFFFFFFFFFFULL, -1, "o"}), r);
  }
  {
    v1::Record r;
    r.mutable_begin();  // every field at its default
    same(enc->EncodeBegin({0, 0, 0, ""}), r);
  }
  {
    v1::Record r;
    r.mutable_commit()->set_commit_lsn(1);
    r.mutable_commit()->set_commit_time(785000000123456LL);
    same(enc->EncodeCommit({1, 0, 785000000123456LL}), r);
  }
  {
    v1::Record r;
    r.mutable_insert()->set_relation_oid(16385);
    FillTuple(values, r.mutable_insert()->mutable_new_tuple());
    same(enc->EncodeInsert(16385, view), r);
  }
  {
    v1::Record r;
    r.mutable_insert()->mutable_new_tuple();  // oid 0, no columns
    same(enc->EncodeInsert(0, TupleView{nullptr, 0}), r);
  }
  {
    v1::Record r;
    r.mutable_insert()->set_relation_oid(1);
    FillTuple(many, r.mutable_insert()->mutable_new_tuple());
    same(enc->EncodeInsert(1, many_view), r);
  }
  for (OldTupleKind kind : {OldTupleKind::kNone, OldTupleKind::kKey, OldTupleKind::kFull}) {
    v1::Record u;
    u.mutable_update()->set_relation_oid(99);
    FillTuple(values, u.mutable_update()->mutable_new_tuple());
    u.mutable_update()->set_old_kind(static_cast<v1::OldTuple>(kind));
    if (kind != OldTupleKind::kNone) FillTuple(many, u.mutable_update()->mutable_old_tuple());
    same(enc->EncodeUpdate(99, view, kind, &many_view), u);

    v1::Record d;
    d.mutable_delete_()->set_relation_oid(99);
    d.mutable_delete_()->set_old_kind(static_cast<v1::OldTuple>(kind));
    if (kind != OldTupleKind::kNone) FillTuple(values, d.mutable_delete_()->mutable_old_tuple());
    same(enc->EncodeDelete(99, kind, &view), d);
  }
}
