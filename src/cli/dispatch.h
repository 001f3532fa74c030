#pragma once

namespace sg::cli {

// Runs the subcommand named by argv[1]; returns the process exit code.
int Main(int argc, char** argv);

}  // namespace sg::cli
