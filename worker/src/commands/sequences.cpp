// pgduplex sequences — NOT IMPLEMENTED YET (placeholder so the CLI links).
#include <iostream>

#include "commands/commands.h"

namespace pgduplex {

int CommandSequences(const SequencesOptions&) {
  std::cerr << "pgduplex sequences: not implemented yet\n";
  return kExitFatal;
}

}  // namespace pgduplex
