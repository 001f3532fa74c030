#include "server/http.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <type_traits>

#include "util/text.h"

namespace sg::server {
namespace {

// libmicrohttpd, loaded with dlopen when `serve` starts rather than linked: it pulls in GnuTLS
// and eight more libraries, which cost every start of the binary (the hooks start it twice per
// push and never serve a request) a few milliseconds of dynamic linking.
struct MhdApi {
  decltype(&::MHD_add_response_header) add_response_header;
  decltype(&::MHD_get_connection_values) get_connection_values;
  decltype(&::MHD_stop_daemon) stop_daemon;
  decltype(&::MHD_start_daemon) start_daemon;
  decltype(&::MHD_queue_response) queue_response;
  decltype(&::MHD_lookup_connection_value) lookup_connection_value;
  decltype(&::MHD_get_daemon_info) get_daemon_info;
  decltype(&::MHD_get_connection_info) get_connection_info;
  decltype(&::MHD_destroy_response) destroy_response;
  decltype(&::MHD_create_response_from_buffer) create_response_from_buffer;
};

// The loaded API, or why it could not be loaded. Loaded once per process.
const Result<MhdApi>& LoadMhd() {
  static const Result<MhdApi> api = []() -> Result<MhdApi> {
    void* lib = ::dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* why = ::dlerror();
      return Status::Internal(
          std::string("cannot load libmicrohttpd.so.12 (install libmicrohttpd12): ") +
          (why ? why : "unknown error"));
    }
    MhdApi a{};
    bool ok = true;
    auto get = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
      ok = ok && fn != nullptr;
    };
    get(a.add_response_header, "MHD_add_response_header");
    get(a.get_connection_values, "MHD_get_connection_values");
    get(a.stop_daemon, "MHD_stop_daemon");
    get(a.start_daemon, "MHD_start_daemon");
    get(a.queue_response, "MHD_queue_response");
    get(a.lookup_connection_value, "MHD_lookup_connection_value");
    get(a.get_daemon_info, "MHD_get_daemon_info");
    get(a.get_connection_info, "MHD_get_connection_info");
    get(a.destroy_response, "MHD_destroy_response");
    get(a.create_response_from_buffer, "MHD_create_response_from_buffer");
    if (!ok) return Status::Internal("libmicrohttpd.so.12 lacks a function secretgate needs");
    return a;
  }();
  return api;
}

// The API once HttpServer::Start has loaded it (every caller below runs after that).
const MhdApi& Mhd() { return *LoadMhd(); }

// One request being received: created on libmicrohttpd's first call for it, freed by the
// completion callback.
struct Pending {
  std::string body;
  bool too_large = false;
};

struct DaemonDeleter {
  void operator()(MHD_Daemon* d) const { Mhd().stop_daemon(d); }
};
struct ResponseDeleter {
  void operator()(MHD_Response* r) const { Mhd().destroy_response(r); }
};
using ResponsePtr = std::unique_ptr<MHD_Response, ResponseDeleter>;

MHD_Result CollectPair(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* out = static_cast<Pairs*>(cls);
  std::string k = key ? key : "";
  out->emplace_back(std::move(k), value ? value : "");
  return MHD_YES;
}

MHD_Result Send(MHD_Connection* conn, const Response& r) {
  ResponsePtr resp(Mhd().create_response_from_buffer(
      r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY));
  if (!resp) return MHD_NO;
  Mhd().add_response_header(resp.get(), "Content-Type", r.content_type.c_str());
  // Every answer: never cached, never sniffed into another type, never framed.
  Mhd().add_response_header(resp.get(), "Cache-Control", "no-store");
  Mhd().add_response_header(resp.get(), "X-Content-Type-Options", "nosniff");
  Mhd().add_response_header(resp.get(), "X-Frame-Options", "DENY");
  Mhd().add_response_header(resp.get(), "Referrer-Policy", "no-referrer");
  for (const auto& [k, v] : r.headers) {
    // A header value with CR or LF would split the response; libmicrohttpd refuses those too.
    if (k.find_first_of("\r\n:") != std::string::npos ||
        v.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    Mhd().add_response_header(resp.get(), k.c_str(), v.c_str());
  }
  return Mhd().queue_response(conn, static_cast<unsigned>(r.status), resp.get());
}

Response Error(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.body = "{\"message\":\"" + std::string(message) +
           "\",\"documentation_url\":\"https://docs.github.com/rest\"}";
  return r;
}

std::string PeerAddress(MHD_Connection* conn) {
  const MHD_ConnectionInfo* info =
      Mhd().get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!info || !info->client_addr) return "";
  char buf[INET6_ADDRSTRLEN] = {};
  const sockaddr* sa = info->client_addr;
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

void MhdLog(void*, const char* fmt, va_list ap) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string line = buf;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  spdlog::warn("http: {}", EscapeControl(line));
}

void Completed(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<Pending*>(*con_cls);  // the one owner of Pending, by libmicrohttpd's contract
  *con_cls = nullptr;
}

}  // namespace

struct HttpServer::Impl {
  Limits limits;
  Handler handler;
  std::unique_ptr<MHD_Daemon, DaemonDeleter> daemon;

  static MHD_Result Access(void* cls, MHD_Connection* conn, const char* url, const char* method,
                           const char*, const char* upload_data, size_t* upload_data_size,
                           void** con_cls) {
    auto* self = static_cast<Impl*>(cls);
    auto* pending = static_cast<Pending*>(*con_cls);
    if (!pending) {
      // First call: only the request line and headers have arrived.
      auto fresh = std::make_unique<Pending>();
      int headers = Mhd().get_connection_values(conn, MHD_HEADER_KIND, nullptr, nullptr);
      if (headers < 0 || static_cast<size_t>(headers) > self->limits.max_headers) {
        *con_cls = fresh.release();
        return Send(conn, Error(431, "Too many request headers"));
      }
      const char* cl = Mhd().lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
      if (cl) {
        char* end = nullptr;
        unsigned long long n = std::strtoull(cl, &end, 10);
        if (!end || *end || n > self->limits.max_body) {
          *con_cls = fresh.release();
          return Send(conn, Error(413, "Request body too large"));
        }
        fresh->body.reserve(static_cast<size_t>(n));
      }
      *con_cls = fresh.release();
      return MHD_YES;
    }
    if (*upload_data_size > 0) {
      if (!pending->too_large) {
        if (pending->body.size() + *upload_data_size > self->limits.max_body) {
          pending->too_large = true;
          pending->body.clear();
          pending->body.shrink_to_fit();
        } else {
          pending->body.append(upload_data, *upload_data_size);
        }
      }
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (pending->too_large) return Send(conn, Error(413, "Request body too large"));
    Request req;
    req.method = method ? method : "";
    req.path = url ? url : "";
    req.body = std::move(pending->body);
    req.remote = PeerAddress(conn);
    Mhd().get_connection_values(conn, MHD_GET_ARGUMENT_KIND, CollectPair, &req.query);
    Mhd().get_connection_values(conn, MHD_HEADER_KIND, CollectPair, &req.headers);
    for (auto& h : req.headers) h.first = ToLowerAscii(h.first);
    Response resp;
    try {
      resp = self->handler(req);
    } catch (const std::exception& e) {
      spdlog::error("http: {} {}: handler failed: {}", req.method, EscapeControl(req.path),
                    e.what());
      resp = Error(500, "Internal error");
    }
    if (req.method == "HEAD") resp.body.clear();
    return Send(conn, resp);
  }
};

std::optional<std::string> Request::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return std::nullopt;
}

std::optional<std::string> Request::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& host, uint16_t port,
                                                      const Limits& limits, Handler handler) {
  if (!LoadMhd().ok()) return LoadMhd().status();
  sockaddr_storage addr{};
  unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (inet_pton(AF_INET, host.c_str(), &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr) == 1) {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
  } else if (inet_pton(AF_INET6, host.c_str(),
                       &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr) == 1) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    flags |= MHD_USE_IPv6;
  } else {
    return Status::Invalid("--listen: '" + host + "' is not an IPv4 or IPv6 address");
  }
  auto server = std::unique_ptr<HttpServer>(new HttpServer());
  server->impl_ = std::make_unique<Impl>();
  Impl& m = *server->impl_;
  m.limits = limits;
  m.handler = std::move(handler);
  MHD_Daemon* d = Mhd().start_daemon(
      flags, port, nullptr, nullptr, &Impl::Access, &m, MHD_OPTION_SOCK_ADDR,
      reinterpret_cast<sockaddr*>(&addr), MHD_OPTION_THREAD_POOL_SIZE,
      static_cast<unsigned>(limits.threads ? limits.threads : 1),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(limits.connection_memory),
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(limits.idle_timeout_seconds),
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(limits.max_connections),
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, static_cast<unsigned>(limits.per_ip_connections),
      MHD_OPTION_NOTIFY_COMPLETED, &Completed, nullptr, MHD_OPTION_EXTERNAL_LOGGER, &MhdLog,
      nullptr, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
  if (!d) {
    return Status::IOError("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                           std::strerror(errno));
  }
  m.daemon.reset(d);
  const MHD_DaemonInfo* info = Mhd().get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info ? info->port : port;
  return server;
}

HttpServer::~HttpServer() = default;

}  // namespace sg::server
