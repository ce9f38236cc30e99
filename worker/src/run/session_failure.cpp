#include "run/session_failure.h"

#include <fmt/format.h>

#include <stdexcept>

#include "apply/change_replayer.h"
#include "common/conninfo.h"
#include "common/errors.h"
#include "common/exit_codes.h"
#include "initial_sync/initial_sync.h"

namespace pgduplex {

SessionFailure ClassifyFailure(std::exception_ptr failure) {
  SessionFailure f;
  try {
    std::rethrow_exception(failure);
  } catch (const initial_sync::InitialSyncError& e) {
    // A problem the operator must fix (conflicting tables, partitions
    // outside the scope, ...): retrying cannot help.
    f = {e.what(), FailureKind::kOther, kExitFatal, false};
  } catch (const OperatorActionRequired& e) {
    f = {e.what(), FailureKind::kOther, kExitFatal, true};
  } catch (const SetupRefused& e) {
    // The target cannot run what the config asks (extension too old).
    f = {e.what(), FailureKind::kOther, kExitUsage, false};
  } catch (const ConflictStop& e) {
    f = {e.what(), FailureKind::kOther, kExitConflict, true};
  } catch (const std::logic_error& e) {
    // An invariant failed: a bug, which a retry would only repeat.
    f = {RedactSecrets(fmt::format("internal error: {}", e.what())), FailureKind::kOther, kExitFatal, true};
  } catch (const ConnectionError& e) {
    f = {RedactSecrets(e.what()), FailureKind::kConnection, std::nullopt, false};
  } catch (const std::exception& e) {
    f = {RedactSecrets(e.what()), FailureKind::kOther, std::nullopt, false};
    // The plugin refused a [table] row filter: the change it stopped at
    // fails the same way on every retry, until the config is changed.
    if (f.message.find("pgduplex: invalid row filter for table") != std::string::npos) {
      f.exit_code = kExitUsage;
      f.report = true;
    }
  }
  return f;
}

bool IsAuthenticationFailure(const std::string& message) {
  return message.find("password authentication failed") != std::string::npos ||
         message.find("no password supplied") != std::string::npos ||
         message.find("authentication failed") != std::string::npos ||
         message.find("no pg_hba.conf entry") != std::string::npos;
}

}  // namespace pgduplex
