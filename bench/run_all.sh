#!/usr/bin/env bash
# Runs every benchmark in turn (one at a time: the machine has 2 cores) and prints a summary.
# usage: bench/run_all.sh [--quick] [--rules DIR] [--no-results]   (arguments go to every script)
# Exit status: 0 when every target is met, 1 when one is missed, 2 on an error.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_need
bench_build
status=0
summary=()
for b in hook_overhead scale history_scan store serve policy; do
  echo "=== $b ===" >&2
  start=$SECONDS
  if python3 "$BENCH_SRC_ROOT/bench/sgbench.py" "$b" "$@"; then
    verdict=PASS
  else
    rc=$?
    if [[ $rc == 1 ]]; then verdict="FAIL (target missed)"; else verdict="ERROR (exit $rc)"; fi
    ((rc > status)) && status=$rc
  fi
  summary+=("$(printf '%-14s %-22s %4ds' "$b" "$verdict" $((SECONDS - start)))")
  echo >&2
done
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
exit $status
