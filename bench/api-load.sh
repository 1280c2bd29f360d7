#!/usr/bin/env bash
# Load test of `lasso serve` over loopback only (issue 4): the release binary on a free
# 127.0.0.1 port with a temporary LASSO_HOME, one API key and the rate limit lifted in that
# home's config.toml. wrk drives GET /api/v1/health and GET /api/v1/sandboxes (with the key)
# for DURATION seconds each at CONNS connections; then one minimal sandbox takes EXECS parallel
# `echo hi` exec calls from curl. Any non-2xx answer, socket error or failed exec fails the run
# (exit 1). Prints req/s and p50/p99 for each part. Cleans up: stops the sandbox, kills the
# server by its PID, removes the temporary directories.
# Usage: bench/api-load.sh [docker|podman]   (default: whatever lasso finds; sets LASSO_RUNTIME)
# Env: DURATION (10), CONNS (64), THREADS (2), EXECS (50), SKIP_BUILD (1: use the existing
# target/release/lasso as built, e.g. to measure one binary on both engines).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
EXECS=${EXECS:-50}
[ $# -gt 0 ] && export LASSO_RUNTIME=$1

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk
need curl curl

[ "${SKIP_BUILD:-0}" = 1 ] || (cd "$ROOT" && cargo build --release -q)
LASSO=$ROOT/target/release/lasso
[ -x "$LASSO" ] || { echo "no $LASSO (run without SKIP_BUILD=1)"; exit 1; }

TMP=$(mktemp -d)
export LASSO_HOME=$TMP/home
WORK=$TMP/work
mkdir -p "$WORK"
chmod 700 "$TMP"
# The sandbox user is 1000:1000: hand it the workspace, as a user would own their project.
chown 1000:1000 "$WORK" 2>/dev/null || true
SERVER_PID=
cleanup() {
  set +e
  [ -n "${KEY:-}" ] && [ -n "${API:-}" ] &&
    curl -s -o /dev/null -X POST -H "X-API-Key: $KEY" "$API/sandboxes/api-load/stop"
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  "$LASSO" stop all >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT

KEY=$("$LASSO" api-key create --name api-load)
# Hundreds of thousands of requests in a minute: lift the per-key limit for this home only.
printf '[api]\nrate_limit_per_minute = 1000000\n' >"$LASSO_HOME/config.toml"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
API=http://127.0.0.1:$PORT/api/v1
"$LASSO" serve --listen "127.0.0.1:$PORT" >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf -o /dev/null "$API/health" && break; sleep 0.1; done
curl -sf -o /dev/null "$API/health" || { echo "lasso serve did not start:"; cat "$TMP/serve.err"; exit 1; }

fails=0
# run_wrk NAME URL [HEADER]: wrk with latency percentiles; wrk counts non-2xx/3xx answers
# separately, and any of those or any socket error fails the run.
run_wrk() {
  local name=$1 url=$2; shift 2
  local out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$@" "$url")
  local rps p50 p99 errs
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(grep -E 'Non-2xx or 3xx responses|Socket errors' <<<"$out" || true)
  printf '%-22s %10s req/s   p50 %8s   p99 %8s   (%s connections, %s threads, %ss)\n' \
    "$name" "$rps" "$p50" "$p99" "$CONNS" "$THREADS" "$DURATION"
  if [ -n "$errs" ]; then echo "  ERRORS: $errs"; fails=$((fails + 1)); fi
}
run_wrk "GET /health" "$API/health"
run_wrk "GET /sandboxes" "$API/sandboxes" -H "X-API-Key: $KEY"

# One minimal sandbox, then EXECS parallel exec calls.
code=$(curl -s -o "$TMP/create.json" -w '%{http_code}' -H "X-API-Key: $KEY" \
  -H 'Content-Type: application/json' \
  -d "{\"profile\":\"minimal\",\"working_dir\":\"$WORK\",\"name\":\"api-load\"}" "$API/sandboxes")
[ "$code" = 201 ] || { echo "create: HTTP $code: $(cat "$TMP/create.json")"; exit 1; }
mkdir -p "$TMP/exec"
pids=()
start=$(date +%s.%N)
for i in $(seq "$EXECS"); do
  curl -s -o "$TMP/exec/$i.json" -w '%{http_code} %{time_total}\n' -H "X-API-Key: $KEY" \
    -H 'Content-Type: application/json' -d '{"command":"echo hi"}' \
    "$API/sandboxes/api-load/exec" >"$TMP/exec/$i.code" &
  pids+=($!)
done
wait "${pids[@]}"
end=$(date +%s.%N)
bad=0
for i in $(seq "$EXECS"); do
  read -r c _ <"$TMP/exec/$i.code"
  if [ "$c" != 200 ] || ! grep -q '"exit_code":0' "$TMP/exec/$i.json" ||
    ! grep -q '"stdout":"hi\\n"' "$TMP/exec/$i.json"; then
    bad=$((bad + 1)); echo "  exec $i: HTTP $c: $(head -c 300 "$TMP/exec/$i.json")"
  fi
done
sort -n -k2 "$TMP"/exec/*.code | awk -v n="$EXECS" -v s="$start" -v e="$end" '
  { t[NR]=$2 }
  END { p50=t[int((n+1)/2)]; i99=int(n*0.99+0.999); if (i99>n) i99=n; p99=t[i99];
        printf "%-22s %10.1f req/s   p50 %7.0fms   p99 %7.0fms   (%d parallel, %.2fs wall)\n",
          "POST exec (echo hi)", n/(e-s), p50*1000, p99*1000, n, e-s }'
if [ "$bad" -gt 0 ]; then echo "  ERRORS: $bad of $EXECS exec calls failed"; fails=$((fails + 1)); fi
if grep -qi 'panic' "$TMP/serve.err"; then echo "server stderr:"; cat "$TMP/serve.err"; fails=$((fails + 1)); fi
[ "$fails" = 0 ] && echo "api-load: OK" || { echo "api-load: $fails part(s) failed"; exit 1; }
