#!/usr/bin/env bash
# Maintenance benchmark: prune and check --read-data, cairn against restic, on the same repository history.
#
#   bench/maintenance.sh [--tools cairn,restic] [--corpus DIR]
#
# Run it from the project's root after ../shared/bench/compare.sh has unpacked its corpus (the Linux 6.1 tree in
# $BENCH_CACHE, default /tmp/cairn-bench). For each tool, on a fresh repository:
#   1. back up a scratch copy of the corpus plus a 256 MiB random file;
#   2. delete that file, append a line to 1 in 100 files, add a 64 MiB random file, back up again;
#   3. forget --keep-last 1 (so the first snapshot's unique data becomes unused);
# then it times (wall seconds, peak RSS):
#   prune      default settings (both tools: at most 5 % unused space left)
#   check      check --read-data (reads, decrypts and verifies every blob)
#   restore    a restore of the remaining snapshot, for comparison with check's speed
# and prints a table with the ratios cairn/restic. Lower is better.
set -euo pipefail

TOOLS=cairn,restic
CACHE=${BENCH_CACHE:-/tmp/cairn-bench}
CORPUS=$CACHE/corpus/linux-source-6.1
while [ $# -gt 0 ]; do
  case "$1" in
    --tools) TOOLS=$2; shift 2 ;;
    --corpus) CORPUS=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -d "$CORPUS" ] || { echo "no corpus at $CORPUS: run ../shared/bench/compare.sh once first, or give --corpus" >&2; exit 2; }
CAIRN=${CAIRN:-$PWD/cairn}
WORK=$CACHE/maintenance
PASSWORD=bench-password
rm -rf "$WORK"; mkdir -p "$WORK"

timed() {
  local label=$1; shift
  if ! /usr/bin/time -f "%e %M" -o "$WORK/time.out" "$@" >"$WORK/$label.log" 2>&1; then
    echo "FAILED: $label: $*" >&2; tail -20 "$WORK/$label.log" >&2; return 1
  fi
  cat "$WORK/time.out"
}

run_tool() {
  local tool=$1 repo=$WORK/repo-$1 data=$WORK/data cmd
  rm -rf "$repo" "$data" "$WORK/out"
  cp -a "$CORPUS" "$data"
  head -c 256M /dev/urandom > "$data/big-random.bin"
  case $tool in
    cairn)  export CAIRN_REPOSITORY=$repo CAIRN_PASSWORD=$PASSWORD; cmd=("$CAIRN") ;;
    restic) export RESTIC_REPOSITORY=$repo RESTIC_PASSWORD=$PASSWORD; cmd=(restic) ;;
  esac
  "${cmd[@]}" init >/dev/null
  "${cmd[@]}" backup "$data" >/dev/null
  rm "$data/big-random.bin"
  find "$data" -type f -name '*.c' | awk 'NR % 100 == 0' | while read -r f; do echo "/* changed */" >> "$f"; done
  head -c 64M /dev/urandom > "$data/new-random.bin"
  "${cmd[@]}" backup "$data" >/dev/null
  "${cmd[@]}" forget --keep-last 1 >/dev/null
  sync
  echo "$tool prune $(timed "$tool-prune" "${cmd[@]}" prune)"
  echo "$tool check $(timed "$tool-check" "${cmd[@]}" check --read-data)"
  echo "$tool restore $(timed "$tool-restore" "${cmd[@]}" restore latest --target "$WORK/out")"
  echo "$tool repo $(du -sk "$repo" | cut -f1)"
  rm -rf "$data" "$WORK/out"
}

results=$WORK/results.txt
: > "$results"
for tool in ${TOOLS//,/ }; do run_tool "$tool" | tee -a "$results"; done

echo
printf '%-7s %9s %9s %9s %9s %10s %10s %9s\n' tool prune_s prune_MB check_s check_MB restore_s restore_MB repo_MB
for tool in ${TOOLS//,/ }; do
  awk -v t="$tool" '$1==t { if ($2=="repo") r=$3; else { s[$2]=$3; m[$2]=$4 } }
    END { printf "%-7s %9.2f %9.0f %9.2f %9.0f %10.2f %10.0f %9.0f\n", t, s["prune"], m["prune"]/1024, s["check"], m["check"]/1024, s["restore"], m["restore"]/1024, r/1024 }' "$results"
done
