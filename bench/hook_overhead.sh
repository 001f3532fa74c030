#!/usr/bin/env bash
# Added push latency of the pre-receive hook: the same 1-commit push into a bare clone of a 20,000-commit repository with and without the hook.
# usage: bench/hook_overhead.sh [--runs N] [--quick] [--rules DIR] [--no-results]   (see bench/README.md)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_run hook_overhead "$@"
