// Built only when libgit2 is linked from its static archive (CMakeLists.txt,
// SECRETGATE_STATIC_DEPS): the GSSAPI functions that libgit2's HTTP Negotiate (Kerberos)
// authentication calls, each failing. secretgate reads local object databases and never uses
// libgit2's network transports, so these are never reached; linking them keeps the seven
// Kerberos libraries (libgssapi_krb5 and what it loads) out of every hook run. Should libgit2
// ever answer a Negotiate challenge, GSS_S_FAILURE makes it give up on that method: it fails
// closed. Hidden, so that a library loaded later (libcurl, for notifications) binds to the real
// GSSAPI, never to these.
#include <cstddef>
#include <cstdint>

namespace {
constexpr uint32_t kGssFailure = 13u << 16;  // GSS_S_FAILURE, a routine error
struct GssBuffer {                           // gss_buffer_desc
  size_t length;
  void* value;
};
void Empty(void* buffer) {
  if (buffer) *static_cast<GssBuffer*>(buffer) = {0, nullptr};
}
}  // namespace

#define SG_GSS_STUB __attribute__((visibility("hidden"))) uint32_t

extern "C" {
__attribute__((visibility("hidden"))) void* GSS_C_NT_HOSTBASED_SERVICE = nullptr;

SG_GSS_STUB gss_import_name(uint32_t* minor, const void*, const void*, void**) {
  *minor = 0;
  return kGssFailure;
}
SG_GSS_STUB gss_indicate_mechs(uint32_t* minor, void**) {
  *minor = 0;
  return kGssFailure;
}
SG_GSS_STUB gss_init_sec_context(uint32_t* minor, const void*, void**, const void*, const void*,
                                 uint32_t, uint32_t, const void*, const void*, void**,
                                 void* output_token, uint32_t*, uint32_t*) {
  *minor = 0;
  Empty(output_token);
  return kGssFailure;
}
SG_GSS_STUB gss_display_status(uint32_t* minor, uint32_t, int, const void*, uint32_t* context,
                               void* status_string) {
  *minor = 0;
  if (context) *context = 0;
  Empty(status_string);
  return kGssFailure;
}
SG_GSS_STUB gss_delete_sec_context(uint32_t* minor, void**, void*) {
  *minor = 0;
  return 0;
}
SG_GSS_STUB gss_release_buffer(uint32_t* minor, void* buffer) {
  *minor = 0;
  Empty(buffer);
  return 0;
}
SG_GSS_STUB gss_release_name(uint32_t* minor, void**) {
  *minor = 0;
  return 0;
}
SG_GSS_STUB gss_release_oid_set(uint32_t* minor, void**) {
  *minor = 0;
  return 0;
}
}
