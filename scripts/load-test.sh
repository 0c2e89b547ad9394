#!/usr/bin/env bash
# Runs `npm test` N times (default 5) while two busy loops keep both cores of a 2-core machine occupied,
# and prints pass/fail per run: the suite must not depend on how fast the machine happens to be.
#   scripts/load-test.sh [RUNS] [-- VITEST ARGS...]     e.g. scripts/load-test.sh 3 -- test/suite
# Each run's output is kept in $LOAD_TEST_LOGS (default: a new temp directory), printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-5}
shift || true
[[ ${1:-} == -- ]] && shift
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [RUNS] [-- VITEST ARGS...]" >&2; exit 2; }

PATH="$(node scripts/node24.mjs --bin-dir):$PATH"
export PATH
logs=${LOAD_TEST_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/cic-load-test-XXXXXX")}
mkdir -p "$logs"

# Bounded by `timeout` as well, so a killed script cannot leave them spinning.
loops=()
stop_loops() {
  for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${loops[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_loops EXIT
trap 'exit 130' INT TERM
for _ in 1 2; do
  timeout 3600 sh -c 'while :; do :; done' &
  loops+=("$!")
done
echo "busy loops: pids ${loops[*]} on $(nproc) cores; $runs runs of npm test $*; logs in $logs"

failed=0
for i in $(seq 1 "$runs"); do
  start=$SECONDS
  if npm test -- "$@" >"$logs/run-$i.log" 2>&1; then status=pass; else status=FAIL; failed=$((failed + 1)); fi
  plain=$(sed 's/\x1b\[[0-9;]*m//g' "$logs/run-$i.log")
  summary=$(grep -E '^ *(Test Files|Tests) ' <<<"$plain" | sed 's/^ *//' | tr -s ' ' | paste -sd ';' - || true)
  echo "run $i/$runs: $status in $((SECONDS - start)) s ($summary)"
  if [[ $status == FAIL ]]; then
    grep -E 'FAIL|×|Error|left [0-9]+ temporary' <<<"$plain" | head -20 | sed 's/^/    /' || true
  fi
done
echo "$((runs - failed))/$runs runs passed under load (logs: $logs)"
[[ $failed -eq 0 ]]
