#include <dlfcn.h>
#include <sys/stat.h>

#include <doctest/doctest.h>

#include "git/libgit2.h"

extern "C" int mbedtls_x509_crt_parse_file(void* chain, const char* path);

namespace sg::git {

TEST_CASE("libgit2 starts without parsing the CA bundle, and other certificate loads still work") {
  InitLibgit2();
  // Only an mbedTLS-built libgit2 (Debian's) parses the bundle at start-up.
  const bool mbedtls = ::dlsym(RTLD_DEFAULT, "mbedtls_ssl_init") != nullptr;
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

}  // namespace sg::git
