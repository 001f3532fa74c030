#!/usr/bin/env bash
# Policy evaluation cost: the same push with findings in block / warn / audit mode and with rule_modes + exclude_paths.
# usage: bench/policy.sh [--runs N] [--quick] [--rules DIR] [--no-results]   (see bench/README.md)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_run policy "$@"
