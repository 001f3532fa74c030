// The secretgate program: a thin client of the secretgate_core library.
#include "cli/dispatch.h"

int main(int argc, char** argv) { return sg::cli::Main(argc, argv); }
