#include "helpers.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "scan/filters.h"

namespace sg::testing {

TempDir::TempDir() {
  char templ[] = "/tmp/secretgate-test-XXXXXX";
  if (!::mkdtemp(templ)) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

RunResult Sh(const std::string& command, const std::string& cwd) {
  char templ[] = "/tmp/secretgate-run-XXXXXX";
  if (!::mkdtemp(templ)) throw std::runtime_error("mkdtemp failed");
  std::string dir = templ;
  std::string full = "cd " + Quote(cwd) + " && ( " + command + " ) </dev/null >" + dir + "/out 2>" +
                     dir + "/err";
  int status = std::system(full.c_str());
  RunResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFileOrEmpty(dir + "/out");
  r.err = ReadFileOrEmpty(dir + "/err");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return r;
}

std::string Binary() { return SECRETGATE_TEST_BINARY; }
std::string SourceDir() { return SECRETGATE_SOURCE_DIR; }

std::string RandomChars(unsigned seed, size_t n, const std::string& alphabet) {
  std::mt19937 rng(seed * 7919u + 17u);
  std::string out;
  for (size_t i = 0; i < n; ++i) out += alphabet[rng() % alphabet.size()];
  return out;
}

std::string Base64(const std::string& bytes, bool url) {
  const char* alphabet = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += alphabet[(v >> k) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (i + 1 < bytes.size()) out += alphabet[(v >> 6) & 63];
    if (!url) out.append(i + 1 < bytes.size() ? 1 : 2, '=');
  }
  return out;
}

std::string Jwt(unsigned seed, const std::string& claims) {
  const std::string b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return Base64(R"({"alg":"HS256","typ":"JWT"})", true) + "." +
         Base64(
             R"({"sub":")" + RandomChars(seed, 12, b62) + R"(",)" + claims + R"("iat":1714560000})",
             true) +
         "." + RandomChars(seed + 7, 43, b62 + "-_");
}

std::string GithubToken(unsigned seed) {
  std::string random = RandomChars(
      seed, 30, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
  return "ghp_" + random + scan::Base62(scan::Crc32(random), 6);
}

std::string AwsKeyId(unsigned seed) {
  return "AKIA" + RandomChars(seed + 1000, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
}

}  // namespace sg::testing

namespace sg::testing {
bool PathExists(const std::string& path) { return std::filesystem::exists(path); }
}  // namespace sg::testing
