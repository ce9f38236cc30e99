// RecordToJson / RecordRenderer: readable, deterministic JSON.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "core/record_json.h"
#include "core/record_renderer.h"
#include "pgduplex.pb.h"

using namespace pgduplex;
using nlohmann::json;

TEST_CASE("values_render_as_text_null_unchanged_or_hex") {
  v1::Record r;
  v1::Insert* ins = r.mutable_insert();
  ins->set_relation_oid(16385);
  v1::Tuple* t = ins->mutable_new_tuple();
  t->add_values()->set_text("h\xc3\xa9llo");
  t->add_values()->set_null(true);
  t->add_values()->set_unchanged_toast(true);
  t->add_values()->set_text(std::string("\xff\x00\x01", 3));
  t->add_values()->set_text("");
  json j = json::parse(RecordToJson(r));
  CHECK(j["insert"]["relation_oid"] == 16385);
  const json& v = j["insert"]["new_tuple"];
  REQUIRE(v.size() == 5);
  CHECK(v[0] == "h\xc3\xa9llo");
  CHECK(v[1].is_null());
  CHECK(v[2] == json{{"unchanged_toast", true}});
  CHECK(v[3] == json{{"hex", "ff0001"}});
  CHECK(v[4] == "");
}

TEST_CASE("lsn_and_time_render_like_postgres") {
  CHECK(FormatLsn(0) == "0/0");
  CHECK(FormatLsn(0x16B374D848ULL) == "16/B374D848");
  CHECK(FormatTimestamp(0) == "2000-01-01T00:00:00.000000Z");
  CHECK(FormatTimestamp(-1) == "1999-12-31T23:59:59.999999Z");
  // 2024-02-29 12:34:56.000789 UTC
  CHECK(FormatTimestamp(762525296000789LL) == "2024-02-29T12:34:56.000789Z");

  v1::Record r;
  r.mutable_commit()->set_commit_lsn(0x100000002ULL);
  r.mutable_commit()->set_end_lsn(0x100000030ULL);
  r.mutable_commit()->set_commit_time(0);
  CHECK(RecordToJson(r) ==
        R"({"commit":{"commit_lsn":"1/2","end_lsn":"1/30","commit_time":"2000-01-01T00:00:00.000000Z"}})");
}

TEST_CASE("absent_parts_are_left_out") {
  v1::Record u;
  u.mutable_update()->mutable_new_tuple();
  json j = json::parse(RecordToJson(u));
  CHECK(j["update"]["old_kind"] == "none");
  CHECK_FALSE(j["update"].contains("old_tuple"));

  v1::Record rel;
  rel.mutable_relation()->set_name("t");
  j = json::parse(RecordToJson(rel));
  CHECK_FALSE(j["relation"].contains("root_oid"));
  CHECK(j["relation"]["replica_identity"] == "default");

  v1::Record b;
  b.mutable_begin()->set_xid(5);
  j = json::parse(RecordToJson(b));
  CHECK_FALSE(j["begin"].contains("origin"));
  b.mutable_begin()->set_origin("pgduplex_shop_forward");
  CHECK(json::parse(RecordToJson(b))["begin"]["origin"] == "pgduplex_shop_forward");
}

TEST_CASE("renderer_reports_corrupt_input_as_status") {
  RecordRenderer* r = RecordRenderer::Create();
  REQUIRE(r != nullptr);
  Status bad = r->Render("\x22\x7f", 2);
  CHECK_FALSE(bad.ok());
  CHECK(std::string(r->json()).empty());

  v1::Record rec;
  rec.mutable_heartbeat()->set_task("shop");
  std::string bytes = rec.SerializeAsString();
  Status good = r->Render(bytes.data(), bytes.size());
  CHECK(good.ok());
  CHECK(json::parse(std::string(r->json(), r->json_size()))["heartbeat"]["task"] == "shop");
  RecordRenderer::Destroy(r);
}
