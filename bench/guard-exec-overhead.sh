#!/usr/bin/env bash
# Exec overhead of lasso-guard's supervision (issue 6 target: < 1 ms per exec).
# In a hardened Debian sandbox on each engine, runs N x /bin/true from a bash loop
# unguarded and under `lasso-guard exec` (enforcing whitelist: every exec is notified,
# read, gated, canonicalised and appended to the spool), R rounds each, and reports the
# median per-exec difference in microseconds. Usage: bench/guard-exec-overhead.sh [N] [R]
source "$(dirname "$0")/guard-lib.sh"
N=${1:-2000}; R=${2:-5}
build_guard
ensure_debian
LOOP="s=\$(date +%s%N); for ((i=0;i<$N;i++)); do /bin/true; done; e=\$(date +%s%N); echo \$(( (e-s)/1000 ))"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for E in docker podman; do
  make_dirs
  write_policy "$WORK/policy/guard.json" enforce whitelist "bash true date"
  N_=guard-overhead-$E
  start "$E" $N_ $DEB_IMAGE
  plain=(); guarded=()
  for r in $(seq "$R"); do
    plain+=("$($E exec $N_ bash -c "$LOOP")")
    guarded+=("$($E exec -w /workspace $N_ /.lasso/guard exec -- bash -c "$LOOP")")
  done
  p=$(printf '%s\n' "${plain[@]}" | median); g=$(printf '%s\n' "${guarded[@]}" | median)
  recs=$(cat "$WORK"/spool/exec-*.jsonl | grep -c '"outcome":"allowed"')
  awk -v e="$E" -v n="$N" -v p="$p" -v g="$g" -v r="$recs" 'BEGIN {
    printf "%s: %d execs, unguarded %.1f us/exec, guarded %.1f us/exec, overhead %.1f us/exec (median of rounds; %d exec records spooled)\n",
      e, n, p/n, g/n, (g-p)/n, r }'
  $E rm -f $N_ >/dev/null
  rm -rf "$WORK"
done
