#!/usr/bin/env bash
# Where one pre-receive invocation spends its time: replays the hook by hand (no quarantine) on the
# clone left by hook_overhead.sh, N times under `perf record --call-graph dwarf`, and prints the
# inclusive share of the main phases. Not a benchmark with a target; an aid for hook_overhead.
# usage: bench/profile_hook.sh [N]      (run bench/hook_overhead.sh first)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-20}
run="$SECRETGATE_BENCH_DIR/runs/hook_overhead"
if [[ ! -d "$run/hooked.git" ]]; then
  echo "profile_hook: run bench/hook_overhead.sh first (needs $run)" >&2
  exit 2
fi
if ! command -v perf >/dev/null 2>&1; then
  echo "profile_hook: perf is not installed (apt-get install -y linux-perf)" >&2
  exit 2
fi
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$SECRETGATE_BENCH_DIR/gitconfig"
export SECRETGATE_CONFIG="$run/config.toml"
base=$(git -C "$run/r20k-client.git" rev-parse refs/heads/main)
sha=$(git -C "$run/r20k-client.git" for-each-ref --format='%(objectname)' refs/bench | tail -1)
# The commit must exist in the bare repository but on no ref, as it would inside a push.
git -C "$run/hooked.git" fetch -q "$run/r20k-client.git" "$sha:refs/tmp/profile"
git -C "$run/hooked.git" update-ref -d refs/tmp/profile
out="$SECRETGATE_BENCH_DIR/prof"
mkdir -p "$out"
cat >"$out/replay.sh" <<EOS
for i in \$(seq $n); do
  printf '%s %s refs/heads/main\n' $base $sha | GIT_DIR='$run/hooked.git' '$SECRETGATE_BIN' pre-receive
done
EOS
start=$(date +%s%N)
bash "$out/replay.sh"
echo "plain replay: $(( ($(date +%s%N) - start) / n / 1000000 )) ms per hook run (mean of $n)"
perf record -q -F 1000 --call-graph dwarf,16384 -o "$out/hook.perf" -- bash "$out/replay.sh" 2>/dev/null
echo "inclusive share of the samples of $n replayed pre-receive runs (perf, dwarf call graphs):"
perf report -i "$out/hook.perf" --children --sort sym -g none 2>/dev/null |
  grep -E 'sg::cli::(Main|RunPreReceive|BuildEngine|LoadConfig)$|sg::rules::(LoadRules|ParseRulesToml)$|ValidateRegex|pcre2_jit_compile|mbedtls_x509_crt_parse_file|sg::git::InitLibgit2$|OpenForHook|sg::inspect::ScanPush$|FindNewObjects|LoadCache|RecomputeDigest|Sha256Hex|_dl_start$|dl_main$|sg::scan::Scanner::Scan$|Record|Store' |
  awk '!seen[$NF]++' | head -30
echo "full report: perf report -i $out/hook.perf --children"
