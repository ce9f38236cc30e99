#include "initial_sync/copied_sequences.h"

#include <fmt/format.h>

#include "ops/sequence_plan.h"

namespace pgduplex {

namespace {

// max(column) on the source; an index on the column (the key) answers it.
std::optional<int64_t> ColumnMax(PgConnection& source, const SequenceUse& use) {
  auto value = source.Scalar(fmt::format("SELECT max({}::pg_catalog.int8)::text FROM {}", source.QuoteIdent(use.column),
                                         QualifiedName(source, use.table)));
  if (!value) return std::nullopt;
  return std::stoll(*value);
}

// SELECT on the sequence, asked first: an error would abort the snapshot's
// transaction.
bool CanRead(PgConnection& source, const std::string& qualified) {
  return source.Scalar("SELECT pg_catalog.has_sequence_privilege($1, 'SELECT')", {qualified}).value_or("f") == "t";
}

}  // namespace

std::vector<CopiedSequence> FindCopiedSequences(PgConnection& source, PgConnection& target,
                                                const std::vector<TableName>& created_tables) {
  std::vector<CopiedSequence> out;
  if (created_tables.empty()) return out;
  for (const auto& use : SequencesUsedBy(source, created_tables)) {
    if (out.empty() || !(out.back().sequence == use.sequence)) {
      if (RelationExists(target, use.sequence)) continue;
      out.push_back({use.sequence, {}});
    }
    out.back().uses.push_back(use);
  }
  return out;
}

void SetCopiedSequences(PgConnection& source, PgConnection& target, const std::vector<CopiedSequence>& sequences,
                        const std::function<void(const std::string&)>& note,
                        const std::function<void(const std::string&)>& warn) {
  for (const auto& s : sequences) {
    std::optional<int64_t> column_max;
    for (const auto& use : s.uses) {
      auto m = ColumnMax(source, use);
      if (m && (!column_max || *m > *column_max)) column_max = m;
    }
    std::string name = QualifiedName(target, s.sequence);
    if (!CanRead(source, name)) {
      // Step 5 could not have interleaved it either (it reads it too).
      SequenceAction action = PlanSetval(SequenceState{}, column_max, ReadSequence(target, s.sequence));
      if (action.kind == SequenceAction::kSetval) {
        target.ExecParams("SELECT pg_catalog.setval($1::regclass, $2, false)",
                          {name, std::to_string(action.next_value)});
      }
      warn(fmt::format("initial copy: sequence {}: cannot read it on cluster a (GRANT SELECT ON SEQUENCE {} TO {}); "
                       "B's next value is {}, past the copied rows only: run `pgduplex sequences --interleave` "
                       "for writes on both sides",
                       s.sequence.Display(), name,
                       source.QuoteIdent(source.Scalar("SELECT current_user::text").value_or("")),
                       action.kind == SequenceAction::kSetval ? std::to_string(action.next_value) : "unchanged"));
      continue;
    }
    SequenceState on_a = ReadSequence(source, s.sequence);
    SequenceAction action = PlanCopiedSequence(on_a, column_max, ReadSequence(target, s.sequence));
    switch (action.kind) {
      case SequenceAction::kAlter:
        target.Exec(fmt::format("ALTER SEQUENCE {0} INCREMENT BY {1} START WITH {2} RESTART WITH {2}", name,
                                action.increment, action.next_value));
        note(fmt::format("initial copy: sequence {}: {}", s.sequence.Display(), action.reason));
        break;
      case SequenceAction::kSetval:
        target.ExecParams("SELECT pg_catalog.setval($1::regclass, $2, false)", {name, std::to_string(action.next_value)});
        warn(fmt::format("initial copy: sequence {}: {}", s.sequence.Display(), action.reason));
        break;
      case SequenceAction::kNone:
        if (!InterleavedAsA(on_a)) warn(fmt::format("initial copy: sequence {}: {}", s.sequence.Display(), action.reason));
        break;
      default:
        warn(fmt::format("initial copy: sequence {}: left as created: {}", s.sequence.Display(), action.reason));
    }
  }
}

}  // namespace pgduplex
