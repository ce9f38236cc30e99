// What one direction's session asks of the plugin and of the applier, read
// from the task config: the one place a [sync] key becomes a plugin option
// or an applier setting.
#pragma once

#include <atomic>

#include "apply/applier.h"
#include "common/config.h"
#include "stream/replication_stream.h"

namespace pgduplex {

// The plugin options for a direction: origins 'none' always, ddl only
// forward and only with sync.ddl, tables from sync.tables, then the
// row_filter and operations of the direction's [table] rules.
PluginOptions PluginOptionsFor(const TaskConfig& config, Direction direction);

// The same options asking for proto_version 2 and streaming 'on'
// (sync.streaming; see run/stream_spool.h).
PluginOptions WithStreaming(PluginOptions options);

// True when `error` is a plugin refusing proto_version 2: a pgduplex
// library older than streaming.
bool IsStreamingRefusal(const std::string& error);

// The same options asking for values longer than chunk_size in chunks
// (value_chunk_size; wire/value_assembler.h).
PluginOptions WithValueChunks(PluginOptions options, size_t chunk_size);

// True when `error` is a plugin refusing value_chunk_size: a pgduplex
// library older than value chunks (1.4).
bool IsValueChunksRefusal(const std::string& error);

// The spool directory of a direction (sync.spool_directory or the default).
std::string SpoolDirectoryFor(const TaskConfig& config, Direction direction);

// The applier's settings for a direction; `interrupt` is the stop request.
ApplierOptions ApplierOptionsFor(const TaskConfig& config, Direction direction,
                                 const std::atomic<bool>* interrupt);

}  // namespace pgduplex
