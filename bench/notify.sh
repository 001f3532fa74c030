#!/usr/bin/env bash
# Does configuring notifications slow a push down? Times the same kind of push (one new commit
# carrying one new GitHub token, accepted with a warning, so every run records a new alert, has
# events to deliver and runs the post-receive hook) with no sinks, and with a webhook and a
# partner endpoint whose receiver accepts connections and never answers and a command that fails
# after 3 s (the worst case for anything that would wait), interleaved run by run. Prints median and quartiles of each arm in milliseconds, and PASS when
# the median with sinks is within max(10 ms, 10%) of the median without. Only 127.0.0.1 is used.
#
# usage: bench/notify.sh [--runs N] [--quick] [--rules DIR]   (see bench/README.md)
# Exit status: 0 target met, 1 target missed, 2 error. Does not touch RESULTS.md.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$BENCH_SRC_ROOT
RUNS=15
RULES=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --quick) RUNS=3; shift ;;
    --rules) RULES=$2; shift 2 ;;
    --no-results) shift ;;
    *) echo "bench/notify.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
bench_need
bench_build
BIN=$SECRETGATE_BIN

D=$(mktemp -d /tmp/secretgate-bench-notify-XXXXXX)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  # Background notify runs fail fast once the receiver is gone; wait (bounded) until they have
  # let go of their sinks before removing their files.
  for _ in $(seq 100); do
    busy=0
    for lock in "$D"/server.git/secretgate/notify/*.lock; do
      [ -e "$lock" ] && ! flock -n "$lock" true && busy=1
    done
    [ $busy = 0 ] && break
    sleep 0.1
  done
  rm -rf "$D"
}
trap cleanup EXIT

echo '{"mode":"hang"}' > "$D/control.json"
python3 "$SRC/tests/notify/http_sink.py" --port-file "$D/port" --log "$D/requests.jsonl" \
  --control "$D/control.json" &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.05; done
PORT=$(cat "$D/port")

export HOME="$D/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name bench
git config --global user.email bench@example.invalid
git init -q --bare "$D/server.git"
"$BIN" protect --repo "$D/server.git" >/dev/null
git init -q "$D/work"
git -C "$D/work" remote add origin ../server.git
echo base > "$D/work/README"
git -C "$D/work" add -A
git -C "$D/work" commit -qm base
BASE_SHA=$(git -C "$D/work" rev-parse HEAD)

RULES=${RULES:-$SRC/rules}

BASE="rules = ['$RULES']
cache_dir = '$D/cache'
mode = 'warn'"
printf '%s\n' "$BASE" > "$D/plain.toml"
cat > "$D/sinks.toml" <<CONF
$BASE
[notify]
retry_initial = 0
[[webhooks]]
name = "hanging"
url = "http://127.0.0.1:$PORT/hook"
secret = "bench"
timeout = 30
[[commands]]
name = "sleepy"
argv = ["/bin/sh", "-c", "sleep 3; exit 1"]
timeout = 60
CONF
{ cat "$D/sinks.toml"; printf '[partners.github]\nurl = "http://127.0.0.1:%s/partner"\ntimeout = 30\n' "$PORT"; } \
  > "$D/partner.toml"
SECRETGATE_CONFIG=$D/plain.toml git -C "$D/work" push -q origin HEAD:refs/heads/main

# A fresh GitHub token with a valid checksum (the generator the other benchmarks use).
token() {
  python3 -c 'import random, sys; sys.path.insert(0, sys.argv[1]); import sgbench
print(sgbench.fake_ghp(random.Random()))' "$SRC/bench"
}

# One push of a fresh token (accepted with a warning); prints its wall time in ms. Afterwards
# (untimed) the server's main goes back to the base commit, so every push is the same push.
push_once() {
  local config=$1
  token > "$D/work/app.txt"
  git -C "$D/work" add -A
  git -C "$D/work" commit -qm "add notes"
  local t0 t1
  t0=$(date +%s%N)
  SECRETGATE_CONFIG=$config git -C "$D/work" push -q origin HEAD:refs/heads/main >/dev/null 2>&1 || true
  t1=$(date +%s%N)
  git -C "$D/server.git" update-ref refs/heads/main "$BASE_SHA"
  git -C "$D/work" reset -q --hard "$BASE_SHA"
  echo $(( (t1 - t0) / 1000000 ))
}

push_once "$D/plain.toml" >/dev/null   # warm the compiled-rules cache
: > "$D/plain.ms"
: > "$D/sinks.ms"
: > "$D/partner.ms"
for _ in $(seq "$RUNS"); do
  push_once "$D/plain.toml" >> "$D/plain.ms"
  push_once "$D/sinks.toml" >> "$D/sinks.ms"
  push_once "$D/partner.toml" >> "$D/partner.ms"
done

stats() {
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    q = int((NR + 3) / 4); m = int((NR + 1) / 2); t = int((3 * NR + 3) / 4)
    printf "median %4d ms   (quartiles %d..%d, n=%d)\n", v[m], v[q], v[t], NR }'
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "push without sinks:                          $(stats "$D/plain.ms")"
echo "push with a webhook and a command that hang: $(stats "$D/sinks.ms")"
echo "... and a partner endpoint that hangs:       $(stats "$D/partner.ms")"
echo "  (the partner arm also writes and fsyncs the partner hand-off file in the hook: its cost)"
echo "requests the hanging receiver got meanwhile: $(cat "$D/requests.jsonl" 2>/dev/null | wc -l) (all from background notify runs)"
a=$(median "$D/plain.ms")
b=$(median "$D/sinks.ms")
allowed=$(( a / 10 > 10 ? a / 10 : 10 ))
if (( b - a <= allowed )); then
  echo "Median added by configured sinks: $((b - a)) ms (allowed: $allowed ms): PASS"
else
  echo "Median added by configured sinks: $((b - a)) ms (allowed: $allowed ms): FAIL"
  exit 1
fi
