// Prefixes of the logical messages pgduplex itself writes on a source:
// 'pgduplex.ddl' by the DDL event trigger (content: ddl_message.h) and
// 'pgduplex.heartbeat' by pgduplex.heartbeat(task) (heartbeat_message.h).
#ifndef PGDUPLEX_CORE_MESSAGE_PREFIXES_H_
#define PGDUPLEX_CORE_MESSAGE_PREFIXES_H_

namespace pgduplex {

constexpr char kDdlMessagePrefix[] = "pgduplex.ddl";
constexpr char kHeartbeatMessagePrefix[] = "pgduplex.heartbeat";

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_MESSAGE_PREFIXES_H_
