#!/usr/bin/env bash
# secretgate scan --no-store throughput vs git cat-file --batch-all-objects on two repositories.
# usage: bench/history_scan.sh [--runs N] [--quick] [--rules DIR] [--no-results]   (see bench/README.md)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_run history_scan "$@"
