#include "ops/table_compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "common/transaction.h"

namespace pgduplex {

namespace {

constexpr int kSettleWaitsMs[] = {250, 500, 1000};
constexpr int kMaxSplitDepth = 8;

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

std::vector<SqlParam> Params(const std::vector<std::string>& values) {
  return {values.begin(), values.end()};
}

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

TableComparer::TableComparer(PgConnection& a, PgConnection& b, TableName table, bool settle,
                             const NameMapping* mapping)
    : a_conn_(a), b_conn_(b), table_(std::move(table)), settle_(settle) {
  static const NameMapping kNone;
  mapping_ = mapping ? mapping : &kNone;
  table_b_ = mapping_->ToB(table_);
}

bool TableComparer::Prepare(TableComparison& out) {
  out.table = table_;
  out.table_b = table_b_;
  out.on_a = RelationExists(a_conn_, table_);
  out.on_b = RelationExists(b_conn_, table_b_);
  if (!out.on_a || !out.on_b) return false;

  std::vector<ColumnInfo> a_cols = TableColumns(a_conn_, table_);
  std::vector<ColumnInfo> b_cols = TableColumns(b_conn_, table_b_);
  for (auto& c : b_cols) {  // under A's names; b_names_ keeps B's
    std::string b_name = c.name;
    c.name = mapping_->ColumnToA(table_, b_name);
    b_names_[c.name] = b_name;
  }
  std::map<std::string, const ColumnInfo*> b_by_name, a_by_name;
  for (const auto& c : b_cols) b_by_name[c.name] = &c;
  for (const auto& c : a_cols) a_by_name[c.name] = &c;
  std::vector<std::string> common;  // name order: the hash must not depend on column order
  for (const auto& [name, col] : a_by_name) {
    if (b_by_name.count(name)) {
      common.push_back(name);
      if (!b_by_name[name]->generated) write_columns_.push_back(name);
    } else {
      out.columns_only_on_a.push_back(name);
    }
  }
  for (const auto& [name, col] : b_by_name) {
    if (!a_by_name.count(name)) out.columns_only_on_b.push_back(name);
  }

  TableKey key = FindTableKey(a_conn_, table_);
  bool key_on_b = !key.columns.empty();
  for (const auto& k : key.columns) key_on_b = key_on_b && b_by_name.count(k);
  if (key_on_b) out.key_source = key.source;

  for (Side* side : {&a_, &b_}) {
    PgConnection& conn = *(side == &a_ ? &a_conn_ : &b_conn_);
    auto& by_name = side == &a_ ? a_by_name : b_by_name;
    side->conn = &conn;
    const bool on_b = side == &b_;
    auto real = [&](const std::string& c) { return on_b ? b_names_[c] : c; };
    side->relation = QualifiedName(conn, on_b ? table_b_ : table_);
    std::vector<std::string> quoted;
    for (const auto& c : common) quoted.push_back(conn.QuoteIdent(real(c)));
    side->row_hash = fmt::format("hashtextextended(ROW({})::text, 0)", Join(quoted, ", "));
    if (key_on_b) {
      for (const auto& k : key.columns) {
        side->key_columns.push_back(conn.QuoteIdent(real(k)));
        side->key_types.push_back(by_name[k]->type);
      }
    }
  }
  return true;
}

std::string TableComparer::Where(const SqlCondition& cond) const {
  if (row_filter_.empty()) return cond.sql;
  return fmt::format("({}) AND ({})", cond.sql, row_filter_);
}

ChunkDigest TableComparer::Digest(Side& side, const KeyRange& range) {
  SqlCondition cond = RangePredicate(side.key_columns, side.key_types, range);
  PgResult r = side.conn->ExecParams(
      fmt::format("SELECT count(*), coalesce(sum({}), 0)::text FROM {} WHERE {}", side.row_hash, side.relation,
                  Where(cond)),
      Params(cond.params));
  return {std::stoll(r.Get(0, 0)), r.Get(0, 1)};
}

std::vector<KeyTuple> TableComparer::Boundaries(Side& side, const KeyRange& range, int64_t every) {
  SqlCondition cond = RangePredicate(side.key_columns, side.key_types, range);
  std::vector<std::string> as_text;
  for (const auto& k : side.key_columns) as_text.push_back(k + "::text");
  std::string keys = Join(side.key_columns, ", ");
  PgResult r = side.conn->ExecParams(
      fmt::format("SELECT {} FROM (SELECT {}, row_number() OVER (ORDER BY {}) AS pgduplex_rn FROM {} WHERE {}) s "
                  "WHERE pgduplex_rn % {} = 0 ORDER BY pgduplex_rn",
                  Join(as_text, ", "), keys, keys, side.relation, Where(cond), every),
      Params(cond.params));
  std::vector<KeyTuple> out;
  for (int i = 0; i < r.rows(); ++i) {
    KeyTuple key;
    for (int c = 0; c < r.columns(); ++c) key.push_back(r.Get(i, c));
    out.push_back(std::move(key));
  }
  return out;
}

std::vector<RowHash> TableComparer::RowHashes(Side& side, const KeyRange& range) {
  SqlCondition cond = RangePredicate(side.key_columns, side.key_types, range);
  std::vector<std::string> as_text;
  for (const auto& k : side.key_columns) as_text.push_back(k + "::text");
  // ORDER BY the table's columns (t.k), not the text output columns of the same name.
  std::vector<std::string> order;
  for (const auto& k : side.key_columns) order.push_back("t." + k);
  PgResult r = side.conn->ExecParams(fmt::format("SELECT {}, {}::text FROM {} t WHERE {} ORDER BY {}",
                                                 Join(as_text, ", "), side.row_hash, side.relation, Where(cond),
                                                 Join(order, ", ")),
                                     Params(cond.params));
  std::vector<RowHash> out;
  out.reserve(static_cast<size_t>(r.rows()));
  int n = static_cast<int>(side.key_columns.size());
  for (int i = 0; i < r.rows(); ++i) {
    RowHash row;
    for (int c = 0; c < n; ++c) row.key.push_back(r.Get(i, c));
    row.hash = r.Get(i, n);
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<KeyRange> TableComparer::DifferingChunks(const std::vector<KeyRange>& chunks, TableComparison& out,
                                                     bool count_rows) {
  std::vector<KeyRange> differing;
  for (const auto& range : chunks) {
    ChunkDigest da = Digest(a_, range);
    ChunkDigest db = Digest(b_, range);
    if (count_rows) {
      out.rows_a += da.rows;
      out.rows_b += db.rows;
    }
    if (da != db) differing.push_back(range);
  }
  if (!settle_) return differing;
  for (int wait_ms : kSettleWaitsMs) {
    if (differing.empty()) break;
    Sleep(wait_ms);
    std::vector<KeyRange> still;
    for (const auto& range : differing) {
      if (Digest(a_, range) != Digest(b_, range)) still.push_back(range);
    }
    differing.swap(still);
  }
  return differing;
}

RowDiff TableComparer::DiffListed(const KeyRange& range) {
  RowDiff diff = DiffRowHashes(RowHashes(a_, range), RowHashes(b_, range));
  if (settle_ && !diff.empty()) {
    // A key still different on a second read is not a change in flight.
    Sleep(kSettleWaitsMs[1]);
    diff = IntersectDiffs(diff, DiffRowHashes(RowHashes(a_, range), RowHashes(b_, range)));
  }
  return diff;
}

void TableComparer::DiffChunk(const KeyRange& range, int depth, RowDiff& diff) {
  ChunkDigest da = Digest(a_, range);
  ChunkDigest db = Digest(b_, range);
  if (depth > 0 && da == db) return;
  if (std::max(da.rows, db.rows) <= kMaxListedRows || depth >= kMaxSplitDepth) {
    diff.Append(DiffListed(range));
    return;
  }
  // Too many rows to list: cut the range at the keys of the fuller side.
  Side& fuller = da.rows >= db.rows ? a_ : b_;
  for (const auto& sub : SplitRange(range, Boundaries(fuller, range, kChunkRows))) DiffChunk(sub, depth + 1, diff);
}

TableComparison TableComparer::Compare() {
  TableComparison out;
  if (!Prepare(out)) {
    out.content_differs = true;
    return out;
  }
  if (out.key_source.empty()) {
    std::vector<KeyRange> whole = {KeyRange{}};
    out.chunks = 1;
    out.content_differs = !DifferingChunks(whole, out, true).empty();
    return out;
  }
  std::vector<KeyRange> chunks = SplitRange(KeyRange{}, Boundaries(a_, KeyRange{}, kChunkRows));
  out.chunks = chunks.size();
  for (const auto& range : DifferingChunks(chunks, out, true)) DiffChunk(range, 0, out.diff);
  out.content_differs = !out.diff.empty();
  return out;
}

size_t TableComparer::RepairBatchSize() const {
  // Statements carry many keys / rows each; stay far below libpq's 65535
  // parameters.
  return std::max<size_t>(1, 20000 / std::max(write_columns_.size(), a_.key_columns.size()));
}

size_t TableComparer::DeleteOnB(const std::vector<KeyTuple>& keys) {
  const size_t per_batch = RepairBatchSize();
  size_t n = 0;
  for (size_t i = 0; i < keys.size(); i += per_batch) {
    std::vector<KeyTuple> batch(keys.begin() + i, keys.begin() + std::min(keys.size(), i + per_batch));
    SqlCondition cond = KeyIn(b_.key_columns, b_.key_types, batch);
    PgResult r = b_conn_.ExecParams(fmt::format("DELETE FROM {} WHERE {}", b_.relation, cond.sql),
                                    Params(cond.params));
    n += static_cast<size_t>(std::stoll(PQcmdTuples(r.raw())));
  }
  return n;
}

size_t TableComparer::CopyToB(const std::vector<KeyTuple>& keys) {
  std::vector<std::string> a_cols, b_cols;
  for (const auto& column : write_columns_) {
    a_cols.push_back(a_conn_.QuoteIdent(column) + "::text");
    b_cols.push_back(b_conn_.QuoteIdent(b_names_[column]));
  }
  const size_t per_batch = RepairBatchSize();
  size_t n = 0;
  for (size_t i = 0; i < keys.size(); i += per_batch) {
    std::vector<KeyTuple> batch(keys.begin() + i, keys.begin() + std::min(keys.size(), i + per_batch));
    SqlCondition cond = KeyIn(a_.key_columns, a_.key_types, batch);
    PgResult rows = a_conn_.ExecParams(
        fmt::format("SELECT {} FROM {} WHERE {}", Join(a_cols, ", "), a_.relation, cond.sql), Params(cond.params));
    if (rows.rows() == 0) continue;
    std::vector<SqlParam> values;
    std::string tuples;
    for (int r = 0; r < rows.rows(); ++r) {
      tuples += r ? ", (" : "(";
      for (int c = 0; c < rows.columns(); ++c) {
        values.push_back(rows.GetOptional(r, c));
        tuples += fmt::format("{}${}", c ? ", " : "", values.size());
      }
      tuples += ")";
    }
    // Untyped parameters take the type of their target column on B.
    b_conn_.ExecParams(fmt::format("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE VALUES {}", b_.relation,
                                   Join(b_cols, ", "), tuples),
                       values);
    n += static_cast<size_t>(rows.rows());
  }
  return n;
}

RepairCounts TableComparer::Repair(const TableComparison& comparison, RoleSwitch* roles) {
  RepairCounts counts;
  const RowDiff& diff = comparison.diff;
  if (diff.empty()) return counts;
  Transaction tx(b_conn_, "BEGIN; SET LOCAL session_replication_role = replica");
  try {
    if (roles) roles->Switch(b_conn_, roles->RoleForTable(b_conn_, b_.relation));
    counts.deleted = DeleteOnB(diff.extra_on_b);
    DeleteOnB(diff.changed);
    counts.updated = CopyToB(diff.changed);
    counts.inserted = CopyToB(diff.missing_on_b);
    if (roles) roles->Switch(b_conn_, 0);
    tx.Commit();
  } catch (...) {
    tx.Rollback();
    if (roles) roles->OnRollback();  // the role switch went with the transaction
    throw;
  }
  return counts;
}

}  // namespace pgduplex
