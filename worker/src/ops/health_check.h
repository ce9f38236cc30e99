// HealthCheck: `pgduplex status --check`, the alert for operators without
// Prometheus. Judges each direction's DirectionStatus against the [alerts]
// thresholds of the config and says what is wrong, one line per problem, so
// cron or a systemd timer can mail it.
//
// A direction is healthy when it is streaming (or in its initial copy), its
// apply lag is at most alerts.max_lag_sec (not judged during the copy), its
// slot retains at most alerts.max_retained_wal_mb of WAL on the source and at
// most alerts.max_conflicts_per_hour conflicts were recorded in the last
// hour. A cluster that cannot be read is a problem too.
//
// Contract: pure and unit-tested; the lines name the direction and the
// threshold (config key) that was passed, and never hold a conninfo.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "ops/direction_status.h"

namespace pgduplex {

// One line per problem of this direction, each starting with
// "<direction> (<source> -> <target>): "; empty when it is healthy.
std::vector<std::string> HealthProblems(const DirectionStatus& status, const AlertsConfig& alerts,
                                        double heartbeat_interval_sec);

// The line printed when no direction has a problem, e.g.
// "OK task shop: forward streaming, apply lag 0.3 s; reverse streaming, apply lag 0.2 s".
std::string HealthOkLine(const std::string& task, const std::vector<DirectionStatus>& statuses,
                         double heartbeat_interval_sec);

}  // namespace pgduplex
