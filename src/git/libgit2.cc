#include "git/libgit2.h"

#include <dlfcn.h>

#include <atomic>
#include <mutex>

// libgit2 as Debian builds it uses mbedTLS, and its git_libgit2_init() parses the whole system
// CA bundle (/etc/ssl/certs/ca-certificates.crt, ~140 certificates of base64) for its HTTPS
// transport: about 6 ms, a fifth of what the hook costs a push. secretgate never uses libgit2's
// network transports (it reads local objects; notifications use libcurl), so libgit2's calls of
// mbedtls_x509_crt_parse_file/_path reach the functions below, which skip the parse while
// InitLibgit2 runs and forward every other call to the real function. Should libgit2 ever be
// asked to verify a certificate, it would have no trusted CA and refuse the connection: it
// fails closed. Linked from libgit2's static archive (the default build), the linker's --wrap
// sends the calls here (CMakeLists.txt); linked with libgit2.so, the dynamic linker binds
// libgit2's call to the executable's definition ahead of libmbedx509's (the executable comes
// first in symbol lookup). With an OpenSSL-built libgit2 they are simply unused.
namespace {
std::atomic<bool> g_skip_ca_bundle{false};
std::atomic<int> g_skipped_ca_loads{0};

using CertLoadFn = int (*)(void* chain, const char* path);

// While InitLibgit2 runs: count and skip. Otherwise: the real function.
int SkipOrForward(CertLoadFn real, void* chain, const char* path) {
  if (g_skip_ca_bundle.load()) {
    g_skipped_ca_loads.fetch_add(1);
    return 0;
  }
  return real ? real(chain, path) : -1;
}
}  // namespace

#if SECRETGATE_STATIC_LIBGIT2
extern "C" int __real_mbedtls_x509_crt_parse_file(void* chain, const char* path);
extern "C" int __real_mbedtls_x509_crt_parse_path(void* chain, const char* path);

extern "C" int __wrap_mbedtls_x509_crt_parse_file(void* chain, const char* path) {
  return SkipOrForward(&__real_mbedtls_x509_crt_parse_file, chain, path);
}

extern "C" int __wrap_mbedtls_x509_crt_parse_path(void* chain, const char* path) {
  return SkipOrForward(&__real_mbedtls_x509_crt_parse_path, chain, path);
}
#else
namespace {
// The next definition of `name` after the executable's: libmbedx509's, found once.
CertLoadFn RealFunction(const char* name, std::atomic<CertLoadFn>& real) {
  CertLoadFn fn = real.load();
  if (!fn) {
    fn = reinterpret_cast<CertLoadFn>(::dlsym(RTLD_NEXT, name));
    real.store(fn);
  }
  return fn;
}
}  // namespace

extern "C" __attribute__((visibility("default"))) int mbedtls_x509_crt_parse_file(
    void* chain, const char* path) {
  static std::atomic<CertLoadFn> real{nullptr};
  return SkipOrForward(RealFunction("mbedtls_x509_crt_parse_file", real), chain, path);
}

extern "C" __attribute__((visibility("default"))) int mbedtls_x509_crt_parse_path(
    void* chain, const char* path) {
  static std::atomic<CertLoadFn> real{nullptr};
  return SkipOrForward(RealFunction("mbedtls_x509_crt_parse_path", real), chain, path);
}
#endif

namespace sg::git {

int SkippedCaBundleLoads() { return g_skipped_ca_loads.load(); }

Status GitError(int rc, std::string_view what) {
  const git_error* e = git_error_last();
  std::string msg = std::string(what) + ": " +
                    (e && e->message ? e->message : "libgit2 error " + std::to_string(rc));
  if (rc == GIT_ENOTFOUND) return Status::NotFound(msg);
  return Status::Internal(msg);
}

void InitLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_skip_ca_bundle.store(true);
    git_libgit2_init();
    g_skip_ca_bundle.store(false);
    // Every read would otherwise re-hash the object with collision-detecting SHA-1, 3-4x the
    // cost of inflating it. In a hook the pushed objects were verified by receive-pack
    // (index-pack/unpack-objects) moments ago, and `scan` reads a repository that git already
    // trusts; secretgate reads objects, it never writes them, so a corrupt object can at worst
    // be scanned as the bytes it holds.
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
  });
}

}  // namespace sg::git
