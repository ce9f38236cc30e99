#include "common/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "common/conninfo.h"

namespace pgduplex {

namespace {
// A formatter flag that prints the message with secrets scrubbed.
class RedactedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string text = RedactSecrets(std::string(msg.payload.data(), msg.payload.size()));
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<RedactedMessage>(); }
};
}  // namespace

void InitLogging(const std::string& scope, bool verbose) {
  spdlog::drop("pgduplex");
  auto logger = spdlog::stderr_logger_mt("pgduplex");
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<RedactedMessage>('*').set_pattern("%Y-%m-%d %H:%M:%S.%e %l [" + scope + "] %*");
  logger->set_formatter(std::move(formatter));
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace pgduplex
