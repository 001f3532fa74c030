#!/usr/bin/env bash
# secretgate serve: list latency over a 100,000-alert store, and requests/s with 64 concurrent
# clients (wrk) with zero errors.
# usage: bench/serve.sh [--runs N] [--quick] [--rules DIR] [--no-results]   (see bench/README.md)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_run serve "$@"
