// The single test binary: every tests/**/*.cc registers its cases here.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  // The tests set up the configuration they need; nothing from the caller's environment (an
  // admin's SECRETGATE_CONFIG, a GIT_DIR, a global git config with hooks) may leak into them.
  for (const char* name :
       {"SECRETGATE_CONFIG", "GIT_DIR", "GIT_WORK_TREE", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM", "GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_PUSH_OPTION_COUNT", "GL_ID", "GL_USERNAME",
        "GL_USER", "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN", "REMOTE_USER", "SECRETGATE_PUSHER"}) {
    ::unsetenv(name);
  }
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  return context.run();
}
