// pgduplex sequences [--apply] [--interleave]: sequences are not carried by
// logical decoding, so this command moves them (ops/sequence_plan.h has the
// rules).
//   (default)     prints, for every sequence feeding a synced table, the
//                 setval that moves B's sequence beyond every value A used
//                 (A's last value and the largest value in the columns it
//                 feeds on A); never backwards; nothing to do = a comment.
//   --apply       also runs them on B (switchover from A to B).
//   --interleave  (applies; --apply is implied) gives A and B the same INCREMENT BY 2 with A on odd and B
//                 on even values, restarted beyond every value used on either
//                 side; run twice, changes nothing the second time.
//                 A sequence missing on B whose tables are all missing too,
//                 with initial = "schema+data", is no problem: the initial
//                 copy creates it interleaved (see PlanCopiedSequence); that
//                 is said, and A's side is done all the same, so the README
//                 order (interleave, then up) works on an empty B.
// ALTER SEQUENCE needs the sequence's owner: the connected role runs it as
// that owner when it is a member (ops/owner_statement.h); when it is not, the
// statement is printed with the owner who must run it, and counts as not
// handled.
// ALTER SEQUENCE runs under session_replication_role = replica so the DDL
// capture trigger does not send it to the other cluster.
// A sequence the connected role cannot read (no SELECT on it) is skipped
// with the GRANT that is missing.
// Exit 0 when every sequence was handled, 1 when one could not be (missing on
// B, beyond MAXVALUE, descending, owner's statement not run, not readable).
#include <fmt/format.h>

#include <iostream>
#include <map>

#include "commands/commands.h"
#include "ops/catalog.h"
#include "ops/owner_statement.h"
#include "ops/sequence_plan.h"

namespace pgduplex {

namespace {

constexpr int kClusters = kInterleaveClusters;  // INCREMENT BY for --interleave
constexpr int kOffsetA = kInterleaveOffsetA;     // A hands out odd values
constexpr int kOffsetB = kInterleaveOffsetB;     // B hands out even values

struct SequenceColumns {
  TableName sequence;
  std::vector<SequenceUse> uses;
};

std::vector<SequenceColumns> GroupBySequence(const std::vector<SequenceUse>& uses) {
  std::vector<SequenceColumns> out;
  for (const auto& use : uses) {
    if (out.empty() || !(out.back().sequence == use.sequence)) out.push_back({use.sequence, {}});
    out.back().uses.push_back(use);
  }
  return out;
}

// The same sequence and columns as B names them ([mapping]): the sequence
// stays in B's schema of A's (it moves with its table), tables and columns
// take their B names.
SequenceColumns OnB(const SequenceColumns& s, const NameMapping& mapping) {
  SequenceColumns out{{mapping.SchemaToB(s.sequence.schema), s.sequence.name}, {}};
  for (SequenceUse use : s.uses) {
    use.column = mapping.ColumnToB(use.table, use.column);
    use.table = mapping.ToB(use.table);
    use.sequence = out.sequence;
    out.uses.push_back(std::move(use));
  }
  return out;
}

std::string ColumnList(const SequenceColumns& s) {
  std::string out;
  for (const auto& u : s.uses) out += (out.empty() ? "" : ", ") + u.table.Display() + "." + u.column;
  return out;
}

// Per-residue maxima of every column the sequence feeds, on one cluster.
void AddColumnMaxima(PgConnection& conn, const SequenceColumns& s, int modulus,
                     std::vector<std::optional<int64_t>>& maxima) {
  maxima.resize(static_cast<size_t>(modulus));
  for (const auto& use : s.uses) {
    auto m = ColumnMaxByResidue(conn, use.table, use.column, modulus);
    for (int r = 0; r < modulus; ++r) {
      if (m[r] && (!maxima[r] || *m[r] > *maxima[r])) maxima[r] = m[r];
    }
  }
}

std::optional<int64_t> Overall(const std::vector<std::optional<int64_t>>& maxima) {
  std::optional<int64_t> out;
  for (const auto& m : maxima) {
    if (m && (!out || *m > *out)) out = m;
  }
  return out;
}

std::string SeqLiteral(PgConnection& conn, const TableName& sequence) {
  return conn.QuoteLiteral(QualifiedName(conn, sequence));
}

// The sequence's state on one cluster; without the right to read it (SELECT),
// prints the GRANT that gives it and returns nullopt.
std::optional<SequenceState> ReadOrNameGrant(PgConnection& conn, const TableName& sequence) {
  try {
    return ReadSequence(conn, sequence);
  } catch (const ConnectionError&) {
    throw;
  } catch (const PgError& e) {
    if (e.sqlstate() != sqlstate::kInsufficientPrivilege) throw;
    std::string role = conn.Scalar("SELECT current_user::text").value_or("");
    std::cout << fmt::format("-- cannot read {} on cluster {}: GRANT SELECT ON SEQUENCE {} TO {};\n",
                             sequence.Display(), conn.label(), QualifiedName(conn, sequence), conn.QuoteIdent(role));
    return std::nullopt;
  }
}

int Switchover(PgConnection& a, PgConnection& b, const std::vector<SequenceColumns>& sequences, bool apply,
               const NameMapping& mapping) {
  int problems = 0;
  for (const auto& s : sequences) {
    const SequenceColumns s_b = OnB(s, mapping);
    auto on_a = ReadOrNameGrant(a, s.sequence);
    auto on_b = ReadOrNameGrant(b, s_b.sequence);
    if (!on_a || !on_b) {
      ++problems;
      continue;
    }
    std::vector<std::optional<int64_t>> a_max;
    AddColumnMaxima(a, s, 1, a_max);
    SequenceAction action = PlanSetval(*on_a, Overall(a_max), *on_b);
    std::string name = s.sequence.Display();
    switch (action.kind) {
      case SequenceAction::kSetval: {
        std::string sql = fmt::format("SELECT setval({}, {}, false);", SeqLiteral(b, s_b.sequence), action.next_value);
        std::cout << fmt::format("{}  -- {}: {}\n", sql, name, action.reason);
        if (apply) {
          b.Exec(sql);
          std::cout << fmt::format("-- applied on b: {} next value is {}\n", name, action.next_value);
        }
        break;
      }
      case SequenceAction::kNone:
        std::cout << fmt::format("-- {}: nothing to do: {}\n", name, action.reason);
        break;
      default:
        std::cout << fmt::format("-- {}: cannot move: {}\n", name, action.reason);
        ++problems;
    }
  }
  return problems;
}

// True when the initial copy will create `s` on B: every table it feeds is
// missing there and the copy creates tables.
bool CopyWillCreate(PgConnection& b, const SequenceColumns& s, const TaskConfig& config) {
  if (config.sync.initial != InitialSync::kSchemaAndData) return false;
  for (const auto& use : s.uses) {
    if (RelationExists(b, use.table)) return false;
  }
  return true;
}

int Interleave(PgConnection& a, PgConnection& b, const std::vector<SequenceColumns>& sequences,
               const TaskConfig& config) {
  int problems = 0;
  int not_run = 0;  // statements only their owner can run
  for (PgConnection* conn : {&a, &b}) conn->Exec("SET session_replication_role = replica");
  for (const auto& s : sequences) {
    const SequenceColumns s_b = OnB(s, config.mapping);
    auto read_a = ReadOrNameGrant(a, s.sequence);
    auto read_b = ReadOrNameGrant(b, s_b.sequence);
    if (!read_a || !read_b) {
      ++problems;
      continue;
    }
    SequenceState on_a = *read_a;
    SequenceState on_b = *read_b;
    std::vector<std::optional<int64_t>> maxima;
    AddColumnMaxima(a, s, kClusters, maxima);
    AddColumnMaxima(b, s_b, kClusters, maxima);
    std::optional<int64_t> used = on_a.exists ? on_a.HighestUsed() : std::nullopt;
    if (on_b.exists && on_b.HighestUsed() && (!used || *on_b.HighestUsed() > *used)) used = on_b.HighestUsed();
    std::cout << fmt::format("{} (feeds {}):\n", s.sequence.Display(), ColumnList(s));
    for (auto [conn, state, offset] : {std::make_tuple(&a, &on_a, kOffsetA), std::make_tuple(&b, &on_b, kOffsetB)}) {
      const TableName& sequence = conn == &b ? s_b.sequence : s.sequence;
      if (conn == &b && !on_b.exists && CopyWillCreate(b, s_b, config)) {
        std::cout << fmt::format("  {}: B's sequences do not exist yet; the initial copy will create them interleaved\n",
                                 conn->label());
        continue;
      }
      SequenceAction action = PlanInterleave(*state, kClusters, offset, maxima, used);
      if (action.kind == SequenceAction::kAlter) {
        std::string sql = fmt::format("ALTER SEQUENCE {0} INCREMENT BY {1} START WITH {2} RESTART WITH {2}",
                                      QualifiedName(*conn, sequence), action.increment, action.next_value);
        if (auto refused = RunAsOwner(*conn, sequence, sql)) {
          std::cout << fmt::format("  {}: not run: {}\n", conn->label(), refused->Describe());
          ++not_run;
          continue;
        }
        std::cout << fmt::format("  {}: {}  -- {}\n", conn->label(), sql, action.reason);
      } else if (action.kind == SequenceAction::kNone) {
        std::cout << fmt::format("  {}: unchanged: {}\n", conn->label(), action.reason);
      } else {
        std::cout << fmt::format("  {}: cannot interleave: {}\n", conn->label(), action.reason);
        ++problems;
      }
    }
  }
  for (PgConnection* conn : {&a, &b}) conn->Exec("RESET session_replication_role");
  if (not_run > 0) {
    std::cout << fmt::format(
        "-- {} statement(s) not run: the connected role cannot act as their owner. Run each as the role "
        "named, or GRANT that role to the connected role, then run sequences --interleave again.\n",
        not_run);
  }
  return problems + not_run;
}

}  // namespace

int CommandSequences(const SequencesOptions& options) {
  TaskConfig config = LoadConfig(options.config_path);
  PgConnection a = PgConnection::Connect(config.a.conninfo, "a");
  PgConnection b = PgConnection::Connect(config.b.conninfo, "b");
  TableScope scope(config.sync.tables);
  std::vector<SequenceColumns> sequences = GroupBySequence(SequencesUsedBy(a, scope.Resolve(a)));
  if (sequences.empty()) {
    std::cout << "-- no sequence feeds the synced tables\n";
    return kExitOk;
  }
  int problems = options.interleave ? Interleave(a, b, sequences, config) : Switchover(a, b, sequences, options.apply, config.mapping);
  return problems ? kExitFound : kExitOk;
}

}  // namespace pgduplex
