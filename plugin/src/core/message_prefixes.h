// Prefixes of logical messages under pgduplex's name. Logical messages are
// NOT an authentic channel: pg_logical_emit_message is executable by every
// role, so a message under these prefixes proves nothing about who wrote it.
//   'pgduplex.heartbeat'  written by pgduplex.heartbeat(task) (content:
//                         heartbeat_message.h); informational only (lag).
//   'pgduplex.ddl'        the DDL channel of extension 1.0. Since 1.1 DDL
//                         travels through the table pgduplex.ddl_log, so a
//                         message under this prefix is a forgery and is
//                         passed on as a plain LogicalMessage.
#ifndef PGDUPLEX_CORE_MESSAGE_PREFIXES_H_
#define PGDUPLEX_CORE_MESSAGE_PREFIXES_H_

namespace pgduplex {

constexpr char kMessagePrefixNamespace[] = "pgduplex.";
constexpr char kDdlMessagePrefix[] = "pgduplex.ddl";
constexpr char kHeartbeatMessagePrefix[] = "pgduplex.heartbeat";

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_MESSAGE_PREFIXES_H_
