#!/usr/bin/env bash
# The same 1-commit push into a protected 20-commit repository vs a protected 20,000-commit one.
# usage: bench/scale.sh [--runs N] [--quick] [--rules DIR] [--no-results]   (see bench/README.md)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_run scale "$@"
