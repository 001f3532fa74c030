# Shared helpers for the bench/*.sh scripts (sourced, not run).
#
#   SECRETGATE_BIN        binary to measure (default: build-bench/secretgate, built if missing)
#   SECRETGATE_BENCH_DIR  scratch and cached repositories (default: /tmp/secretgate-bench)
#   SECRETGATE_BENCH_REBUILD=1  re-run the incremental Release build even if the binary exists
#   SECRETGATE_BENCH_COMMIT=REV measure a committed revision instead of the work tree: its tree is
#                         exported with `git archive` and built under $SECRETGATE_BENCH_DIR
#
# Every script passes its own arguments on to bench/sgbench.py, which does the work; see
# bench/README.md.

set -euo pipefail

BENCH_SRC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SECRETGATE_BENCH_DIR="${SECRETGATE_BENCH_DIR:-/tmp/secretgate-bench}"
BENCH_BUILD_SRC="$BENCH_SRC_ROOT"
BENCH_BUILD_DIR="${SECRETGATE_BENCH_BUILD:-$BENCH_SRC_ROOT/build-bench}"
if [[ -n "${SECRETGATE_BENCH_COMMIT:-}" ]]; then
  SECRETGATE_BENCH_COMMIT="$(git -C "$BENCH_SRC_ROOT" rev-parse --verify "$SECRETGATE_BENCH_COMMIT^{commit}")"
  export SECRETGATE_BENCH_COMMIT
  BENCH_BUILD_SRC="$SECRETGATE_BENCH_DIR/src-${SECRETGATE_BENCH_COMMIT:0:12}"
  BENCH_BUILD_DIR="$SECRETGATE_BENCH_DIR/build-${SECRETGATE_BENCH_COMMIT:0:12}"
fi
export SECRETGATE_BIN="${SECRETGATE_BIN:-$BENCH_BUILD_DIR/secretgate}"

bench_need() {
  local missing=()
  for tool in git python3; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    echo "bench: missing tools: ${missing[*]} (apt-get install -y git python3)" >&2
    exit 2
  fi
}

# Builds the Release binary (no tests) when it is missing, or when asked to.
bench_build() {
  if [[ -x "$SECRETGATE_BIN" && "${SECRETGATE_BENCH_REBUILD:-0}" != 1 ]]; then
    return 0
  fi
  if [[ "$SECRETGATE_BIN" != "$BENCH_BUILD_DIR/secretgate" ]]; then
    echo "bench: SECRETGATE_BIN=$SECRETGATE_BIN does not exist" >&2
    exit 2
  fi
  echo "bench: building $SECRETGATE_BIN (Release, no tests) ..." >&2
  mkdir -p "$SECRETGATE_BENCH_DIR"
  if [[ -n "${SECRETGATE_BENCH_COMMIT:-}" && ! -f "$BENCH_BUILD_SRC/CMakeLists.txt" ]]; then
    mkdir -p "$BENCH_BUILD_SRC"
    git -C "$BENCH_SRC_ROOT" archive "$SECRETGATE_BENCH_COMMIT" | tar -x -C "$BENCH_BUILD_SRC"
  fi
  if ! { cmake -S "$BENCH_BUILD_SRC" -B "$BENCH_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
           -DSECRETGATE_BUILD_TESTS=OFF &&
         cmake --build "$BENCH_BUILD_DIR" -j2; } >"$SECRETGATE_BENCH_DIR/build.log" 2>&1; then
    tail -30 "$SECRETGATE_BENCH_DIR/build.log" >&2
    echo "bench: build failed (full log: $SECRETGATE_BENCH_DIR/build.log)" >&2
    exit 2
  fi
}

# bench_run NAME ARGS...: build if needed, then run one benchmark of sgbench.py.
bench_run() {
  bench_need
  bench_build
  exec python3 "$BENCH_SRC_ROOT/bench/sgbench.py" "$@"
}
