#include "log/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "util/fs.h"

namespace sg::log {

bool Setup(const std::string& file, const std::string& level, bool stderr_fallback) {
  std::shared_ptr<spdlog::logger> logger;
  bool ok = true;
  try {
    std::string dir = std::filesystem::path(file).parent_path().string();
    if (!dir.empty()) (void)MakeDirs(dir, 0700);
    logger = spdlog::basic_logger_mt("secretgate", file);
  } catch (const spdlog::spdlog_ex&) {
    ok = false;
    spdlog::drop("secretgate");
    logger = stderr_fallback ? spdlog::stderr_logger_mt("secretgate")
                             : std::make_shared<spdlog::logger>(
                                   "secretgate", std::make_shared<spdlog::sinks::null_sink_mt>());
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%P] %l: %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return ok;
}

void SetupStderr(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("secretgate-stderr");
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("secretgate: %l: %v");
  spdlog::set_default_logger(logger);
}

}  // namespace sg::log
