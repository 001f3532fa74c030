#include <dlfcn.h>
#include <sys/stat.h>

#include <doctest/doctest.h>

#include "git/libgit2.h"

extern "C" int mbedtls_x509_crt_parse_file(void* chain, const char* path);

namespace sg::git {

TEST_CASE("libgit2 starts without parsing the CA bundle, and other certificate loads still work") {
  InitLibgit2();
  // Only an mbedTLS-built libgit2 (Debian's) parses the bundle at start-up.
#if SECRETGATE_STATIC_LIBGIT2
  const bool mbedtls = true;  // linked from Debian's archives, with libmbedtls.a
#else
  const bool mbedtls = ::dlsym(RTLD_DEFAULT, "mbedtls_ssl_init") != nullptr;
#endif
  struct stat st {};
  const bool bundle = ::stat("/etc/ssl/certs/ca-certificates.crt", &st) == 0;
  if (mbedtls && bundle) {
    CHECK(SkippedCaBundleLoads() == 1);
    // After start-up every call reaches the real function: a missing file is its error.
    alignas(16) unsigned char chain[4096] = {};
    CHECK(mbedtls_x509_crt_parse_file(chain, "/nonexistent/secretgate-ca.pem") < 0);
    CHECK(SkippedCaBundleLoads() == 1);
  } else {
    CHECK(SkippedCaBundleLoads() == 0);
  }
  // And libgit2 works: it can parse an object id and report its version.
  int major = 0, minor = 0, rev = 0;
  CHECK(git_libgit2_version(&major, &minor, &rev) == 0);
  CHECK(major >= 1);
}

#if SECRETGATE_STATIC_LIBGIT2
TEST_CASE("the statically linked libraries and the GSSAPI stand-ins are not exported") {
  // libcurl, loaded with dlopen for notifications, brings the shared libcrypto and GSSAPI: were
  // the executable to export its own copies (or the failing GSSAPI of src/git/no_gssapi.cc),
  // the dynamic linker would bind libcurl's calls to them.
  for (const char* name : {"gss_init_sec_context", "gss_import_name", "GSS_C_NT_HOSTBASED_SERVICE",
                           "EVP_MD_fetch", "inflate", "git_libgit2_init", "hs_scan",
                           "pcre2_match_8", "libssh2_init", "mbedtls_ssl_init"}) {
    CAPTURE(name);
    CHECK(::dlsym(RTLD_DEFAULT, name) == nullptr);
  }
}
#endif

}  // namespace sg::git
