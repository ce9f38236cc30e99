// ParseTableOptions: reads the [table."schema.name"] sections of a config
// (see table_options.h). Apart from table_options.h so that only the config
// parser pays for toml++.
#pragma once

#include <toml++/toml.h>

#include "common/table_options.h"

namespace pgduplex {

// Every [table."schema.name"] of the config's root table; throws ConfigError
// naming path and the key at fault.
std::vector<TableOptions> ParseTableOptions(const toml::table& root, const std::vector<std::string>& sync_tables,
                                            const std::string& path);

}  // namespace pgduplex
