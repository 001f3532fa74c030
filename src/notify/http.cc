#include "notify/http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "build_config.h"
#include "util/text.h"

namespace sg::notify {
namespace {

// libcurl, loaded with dlopen on the first request rather than linked: libcurl and what it pulls
// in (GnuTLS, LDAP, Kerberos, ...) add about 6 ms to every start of the binary, and the hooks,
// which start it twice per push and never send a request, must not pay that.
struct CurlApi {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  CURLU* (*url)();
  void (*url_cleanup)(CURLU*);
  CURLUcode (*url_set)(CURLU*, CURLUPart, const char*, unsigned);
  CURLUcode (*url_get)(const CURLU*, CURLUPart, char**, unsigned);
  void (*free)(void*);
};

// The loaded API, or the reason it could not be loaded. Loaded once per process.
const Result<CurlApi>& Curl() {
  static const Result<CurlApi> api = []() -> Result<CurlApi> {
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* why = ::dlerror();
      return Status::Internal(std::string("cannot load libcurl.so.4 (install libcurl4): ") +
                              (why ? why : "unknown error"));
    }
    CurlApi a{};
    bool ok = true;
    auto get = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
      ok = ok && fn != nullptr;
    };
    get(a.global_init, "curl_global_init");
    get(a.easy_init, "curl_easy_init");
    get(a.easy_cleanup, "curl_easy_cleanup");
    get(a.easy_setopt, "curl_easy_setopt");
    get(a.easy_perform, "curl_easy_perform");
    get(a.easy_getinfo, "curl_easy_getinfo");
    get(a.easy_strerror, "curl_easy_strerror");
    get(a.slist_append, "curl_slist_append");
    get(a.slist_free_all, "curl_slist_free_all");
    get(a.url, "curl_url");
    get(a.url_cleanup, "curl_url_cleanup");
    get(a.url_set, "curl_url_set");
    get(a.url_get, "curl_url_get");
    get(a.free, "curl_free");
    if (!ok) return Status::Internal("libcurl.so.4 lacks a function secretgate needs (too old?)");
    if (a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      return Status::Internal("curl_global_init failed");
    }
    return a;
  }();
  return api;
}

// Owns one libcurl handle of type T, released with `release` from the loaded API.
template <typename T>
class Handle {
 public:
  Handle(T* p, void (*release)(T*)) : p_(p), release_(release) {}
  ~Handle() {
    if (p_) release_(p_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  T* get() const { return p_; }
  void reset(T* p) {
    if (p_ && p_ != p) release_(p_);
    p_ = p;
  }

 private:
  T* p_;
  void (*release_)(T*);
};

bool HasControlOrSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

bool HasLineBreak(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

struct Body {
  HttpResponse* response;
};

size_t OnData(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Body*>(user);
  const size_t bytes = size * n;
  std::string& body = sink->response->body;
  if (body.size() + bytes > kMaxResponseBytes) {
    body.append(data, kMaxResponseBytes - body.size());
    sink->response->truncated = true;
    return CURL_WRITEFUNC_ERROR;  // stop reading: the rest is not ours to buffer
  }
  body.append(data, bytes);
  return bytes;
}

long Millis(double seconds) { return seconds <= 0 ? 1 : static_cast<long>(seconds * 1000); }

// libcurl's own reading of the URL must agree with ours on where a secret goes.
Status CrossCheck(const CurlApi& c, const HttpRequest& request, const Url& ours) {
  Handle<CURLU> u(c.url(), c.url_cleanup);
  if (!u.get() || c.url_set(u.get(), CURLUPART_URL, request.url.c_str(), 0) != CURLUE_OK) {
    return Status::Invalid("libcurl does not accept the URL " + RedactUrl(request.url));
  }
  auto part = [&](CURLUPart p) {
    char* out = nullptr;
    if (c.url_get(u.get(), p, &out, 0) != CURLUE_OK || !out) return std::string();
    std::string s(out);
    c.free(out);
    return s;
  };
  if (ToLowerAscii(part(CURLUPART_SCHEME)) != ours.scheme ||
      ToLowerAscii(part(CURLUPART_HOST)) != ToLowerAscii(ours.host)) {
    return Status::Invalid("the URL " + RedactUrl(request.url) + " reads differently to libcurl");
  }
  return Status::Ok();
}

}  // namespace

Result<Url> ParseUrl(std::string_view url) {
  const std::string shown = EscapeControl(RedactUrl(url));
  if (HasControlOrSpace(url))
    return Status::Invalid("URL holds a space or control character: '" + shown + "'");
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return Status::Invalid("not an absolute URL: '" + shown + "'");
  Url out;
  out.scheme = ToLowerAscii(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    return Status::Invalid("only http and https URLs are allowed, not '" +
                           EscapeControl(out.scheme) + "'");
  }
  std::string_view authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (authority.find('\\') != std::string_view::npos) {
    return Status::Invalid("URL has a backslash in its host part: '" + shown + "'");
  }
  if (size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return Status::Invalid("URL has an unclosed '[': '" + shown + "'");
    out.host = std::string(authority.substr(0, close + 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Status::Invalid("URL has text after ']': '" + shown + "'");
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty() || out.host == "[]")
    return Status::Invalid("URL has no host: '" + shown + "'");
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    long p = 0;
    for (char ch : port) {
      if (ch < '0' || ch > '9' || p > 65535)
        return Status::Invalid("URL has a bad port: '" + shown + "'");
      p = p * 10 + (ch - '0');
    }
    if (p < 1 || p > 65535) return Status::Invalid("URL has a bad port: '" + shown + "'");
    out.port = p;
  }
  return out;
}

bool IsLoopbackHost(std::string_view host_view) {
  std::string host = ToLowerAscii(host_view);
  if (host == "localhost") return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    static const in6_addr kLoop = IN6ADDR_LOOPBACK_INIT;
    return std::equal(std::begin(v6.s6_addr), std::end(v6.s6_addr), std::begin(kLoop.s6_addr));
  }
  return false;
}

Status CheckSecretUrl(std::string_view url, std::string_view what) {
  auto u = ParseUrl(url);
  if (!u.ok()) return u.status().WithContext(what);
  if (u->scheme == "https" || IsLoopbackHost(u->host)) return Status::Ok();
  return Status::Invalid(std::string(what) +
                         ": a plain secret is only sent over https, or over http to the loopback "
                         "interface (127.0.0.1, localhost, [::1]); got " +
                         EscapeControl(RedactUrl(url)));
}

std::string RedactUrl(std::string_view url) {
  std::string s(url);
  size_t cut = s.find_first_of("?#");
  if (cut != std::string::npos) s.resize(cut);
  size_t scheme = s.find("://");
  size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t path = s.find('/', host_start);
  size_t at = s.rfind('@', path == std::string::npos ? s.size() : path);
  if (at != std::string::npos && at >= host_start) s.erase(host_start, at + 1 - host_start);
  return s;
}

Result<HttpResponse> Send(const HttpRequest& request) {
  auto url = ParseUrl(request.url);
  if (!url.ok()) return url.status();
  if (request.carries_secret) {
    SG_RETURN_IF_ERROR(CheckSecretUrl(request.url, "request"));
  }
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
        name.find(':') != std::string::npos) {
      return Status::Invalid("header '" + EscapeControl(name) +
                             "' has a line break or colon where none may be");
    }
  }
  const auto& api = Curl();
  if (!api.ok()) return api.status();
  const CurlApi& c = *api;
  SG_RETURN_IF_ERROR(CrossCheck(c, request, *url));
  Handle<CURL> curl(c.easy_init(), c.easy_cleanup);
  if (!curl.get()) return Status::Internal("curl_easy_init failed");
  CURL* h = curl.get();
  HttpResponse response;
  Body sink{&response};
  char error[CURL_ERROR_SIZE] = {0};
  Handle<curl_slist> headers(nullptr, c.slist_free_all);
  auto add_header = [&](const std::string& line) {
    if (curl_slist* l = c.slist_append(headers.get(), line.c_str())) headers.reset(l);
  };
  for (const auto& [name, value] : request.headers) add_header(name + ": " + value);
  add_header("Expect:");  // no 100-continue round trip
  Handle<curl_slist> resolve(nullptr, c.slist_free_all);
  if (url->scheme == "http" && ToLowerAscii(url->host) == "localhost") {
    // "localhost" is loopback only if it resolves there; pin it rather than trust /etc/hosts.
    std::string pin = "localhost:" + std::to_string(url->port) + ":127.0.0.1";
    resolve.reset(c.slist_append(nullptr, pin.c_str()));
  }
  const std::string user_agent = std::string("secretgate/") + build::kVersion;
  c.easy_setopt(h, CURLOPT_URL, request.url.c_str());
  c.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  c.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  c.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  c.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  c.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, Millis(request.connect_timeout));
  c.easy_setopt(h, CURLOPT_TIMEOUT_MS, Millis(request.timeout));
  c.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxResponseBytes));
  c.easy_setopt(h, CURLOPT_USERAGENT, user_agent.c_str());
  c.easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  c.easy_setopt(h, CURLOPT_WRITEFUNCTION, OnData);
  c.easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  c.easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  if (resolve.get()) c.easy_setopt(h, CURLOPT_RESOLVE, resolve.get());
  const std::string method = request.method.empty() ? "POST" : request.method;
  if (method == "GET" && request.body.empty()) {
    c.easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    c.easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    c.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    c.easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    if (method != "POST") c.easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  CURLcode rc = c.easy_perform(h);
  long status = 0;
  c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_WRITE_ERROR && response.truncated && status > 0) rc = CURLE_OK;
  if (rc == CURLE_FILESIZE_EXCEEDED && status > 0) {
    response.truncated = true;
    rc = CURLE_OK;
  }
  if (rc != CURLE_OK) {
    std::string why = error[0] ? error : c.easy_strerror(rc);
    return Status::IOError(RedactUrl(request.url) + ": " + EscapeControl(why));
  }
  response.status = status;
  return response;
}

}  // namespace sg::notify
