#include "notify/sink_server.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sg::testing {

SinkServer::SinkServer() {
  SetControl(R"({"mode":"ok"})");
  Start();
}

SinkServer::~SinkServer() { Stop(); }

std::string SinkServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void SinkServer::SetControl(const std::string& json) {
  WriteFile(dir_ / "control.json.tmp", json);
  std::rename((dir_ / "control.json.tmp").c_str(), (dir_ / "control.json").c_str());
}

void SinkServer::Start() {
  if (pid_ > 0) return;
  std::string port_file = dir_ / "port";
  ::unlink(port_file.c_str());
  std::string script = SourceDir() + "/tests/notify/http_sink.py";
  std::string port = std::to_string(port_);
  std::string log = dir_ / "requests.jsonl";
  std::string control = dir_ / "control.json";
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::execlp("python3", "python3", script.c_str(), "--port", port.c_str(), "--port-file",
             port_file.c_str(), "--log", log.c_str(), "--control", control.c_str(), nullptr);
    ::_exit(127);
  }
  pid_ = pid;
  bool up = WaitUntil([&] { return PathExists(port_file); }, 30);
  if (!up) throw std::runtime_error("the test HTTP server did not start");
  port_ = std::stoi(ReadFileOrEmpty(port_file));
}

void SinkServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::vector<SinkRequest> SinkServer::Requests() const {
  std::vector<SinkRequest> out;
  std::istringstream in(ReadFileOrEmpty(dir_ / "requests.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;  // a line being written right now
    SinkRequest r;
    r.method = j["method"];
    r.path = j["path"];
    for (auto& [k, v] : j["headers"].items()) r.headers[k] = v.get<std::string>();
    r.body = Base64Decode(j["body_b64"]);
    out.push_back(std::move(r));
  }
  return out;
}

bool WaitUntil(const std::function<bool()>& done, double seconds) {
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

std::string Base64Decode(const std::string& in) {
  std::string out((in.size() / 4) * 3 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return {};
  out.resize(static_cast<size_t>(n));
  if (!in.empty() && in.back() == '=') out.pop_back();
  if (in.size() > 1 && in[in.size() - 2] == '=') out.pop_back();
  return out;
}

std::string HmacSha256Hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

}  // namespace sg::testing
