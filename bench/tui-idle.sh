#!/usr/bin/env bash
# Idle cost of the TUI (issue 3 target: < 2% of one core, < 60 MB) with N running sandboxes.
# Starts N sandboxes of the minimal profile in a temporary LASSO_HOME, runs the real
# `lasso tui` in a pseudo-terminal (python3's pty, COLS x ROWS) with nothing typed, lets it
# settle for WARMUP seconds (first list, engine event stream, stats sampling of the sandboxes
# on screen), then measures over IDLE seconds: CPU from /proc/PID/stat (utime + stime of all
# its threads) and memory (VmRSS at the end, VmHWM peak) from /proc/PID/status. The TUI is
# sampling CPU/memory of the on-screen sandboxes at 1 Hz and redrawing once a second (ages)
# the whole time, so this is the steady state a user leaves open.
# Cleans up on any exit (trap): quits/kills the TUI by PID, stops every sandbox of the
# temporary home, removes the temporary directory.
# Usage: bench/tui-idle.sh docker|podman
# Env: N (50), IDLE (60), WARMUP (15), COLS (160), ROWS (45), PAR (4 parallel creates),
#      LASSO_BIN (default: target/release/lasso, built if missing).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 docker|podman" >&2; exit 2; }
case $1 in docker|podman) export LASSO_RUNTIME=$1 ;; *) echo "usage: $0 docker|podman" >&2; exit 2 ;; esac
N=${N:-50}
IDLE=${IDLE:-60}
WARMUP=${WARMUP:-15}
COLS=${COLS:-160}
ROWS=${ROWS:-45}
PAR=${PAR:-4}
command -v python3 >/dev/null || { echo "python3 is needed for the pseudo-terminal" >&2; exit 2; }

LASSO=${LASSO_BIN:-$ROOT/target/release/lasso}
if [ -z "${LASSO_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release -q)
fi

TMP=$(mktemp -d)
chmod 700 "$TMP"
export LASSO_HOME=$TMP/home
WORK=$TMP/work
mkdir -p "$WORK"
# The sandbox user is 1000:1000: hand it the workspace, as a user would own their project.
chown 1000:1000 "$WORK" 2>/dev/null || true
DRIVER_PID=
cleanup() {
  set +e
  [ -n "$DRIVER_PID" ] && kill "$DRIVER_PID" 2>/dev/null && wait "$DRIVER_PID" 2>/dev/null
  "$LASSO" stop all >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

echo "== $LASSO_RUNTIME: starting $N sandboxes (minimal profile, $PAR at a time)"
start=$(date +%s)
seq -f "idle-%03g" 1 "$N" | xargs -P "$PAR" -I{} \
  "$LASSO" create minimal --dir "$WORK" --name {} >/dev/null
running=$("$LASSO" status --json | python3 -c 'import json,sys; print(sum(1 for s in json.load(sys.stdin) if s["state"]=="running"))')
echo "   $running running after $(( $(date +%s) - start )) s"
[ "$running" -eq "$N" ] || { echo "expected $N running sandboxes" >&2; exit 1; }

echo "== lasso tui in a ${COLS}x${ROWS} pty: ${WARMUP} s warm-up, ${IDLE} s idle"
python3 - "$LASSO" "$COLS" "$ROWS" "$WARMUP" "$IDLE" "$TMP/result" <<'PY' &
import fcntl, os, pty, select, struct, sys, termios, time
lasso, cols, rows, warmup, idle, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm-256color"
    os.execv(lasso, [lasso, "tui"])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
tck = os.sysconf("SC_CLK_TCK")

def drain(until):
    """Reads (and drops) what the TUI draws until `until`; returns the byte count."""
    n = 0
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return n
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                n += len(os.read(fd, 65536))
            except OSError:
                return n

def cpu_ticks():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)

def status(key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return 0

drain(time.monotonic() + warmup)
t0, c0 = time.monotonic(), cpu_ticks()
drawn = drain(t0 + idle)
t1, c1 = time.monotonic(), cpu_ticks()
rss, hwm, threads = status("VmRSS"), status("VmHWM"), status("Threads")
os.write(fd, b"q")
drain(time.monotonic() + 3)
try:
    os.kill(pid, 9)
except ProcessLookupError:
    pass
os.waitpid(pid, 0)
cpu = (c1 - c0) / tck / (t1 - t0) * 100
with open(out, "w") as f:
    f.write(f"{cpu:.2f} {rss/1024:.1f} {hwm/1024:.1f} {threads} {drawn}\n")
PY
DRIVER_PID=$!
wait "$DRIVER_PID"
DRIVER_PID=
read -r CPU RSS HWM THREADS DRAWN < "$TMP/result"
echo "   CPU: ${CPU}% of one core over ${IDLE} s (target < 2%)"
echo "   memory: ${RSS} MB resident at the end, ${HWM} MB peak (target < 60 MB); ${THREADS} threads"
echo "   terminal output while idle: ${DRAWN} bytes"
ok=$(python3 -c "print(int($CPU < 2 and $HWM < 60))")
[ "$ok" -eq 1 ] || { echo "over target" >&2; exit 1; }
