#!/usr/bin/env bash
# Alert store cost: pushes with 1 and 50 findings with store on vs off, and alerts list over 100,000 alerts.
# usage: bench/store.sh [--runs N] [--quick] [--rules DIR] [--no-results]   (see bench/README.md)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_run store "$@"
