#!/usr/bin/env bash
# Smoke test of lasso-guard (issue 6) in real hardened containers on Docker and Podman:
# init/stop, probes (also against a deliberately weakened container and a busybox image),
# exec enforcement (direct, absolute path, copies, symlinks, scripts, the ELF loader),
# shadow/record modes, --prechecked, --timeout, spool records and the supervisor's protection.
# Usage: bench/guard-smoke.sh [docker|podman ...]   (default: both). Needs root.
source "$(dirname "$0")/guard-lib.sh"
ENGINES=("$@"); [ ${#ENGINES[@]} -gt 0 ] || ENGINES=(docker podman)
PROGS="ls cat echo bash sh grep cp ln chmod mkdir true sleep seq printf"
fails=0
ok()   { echo "  ok   $*"; }
bad()  { echo "  FAIL $*"; fails=$((fails+1)); }
# expect DESC WANT_RC CMD...: runs CMD, compares the exit code.
expect() { local d=$1 want=$2; shift 2; local out rc=0; out=$("$@" 2>&1) || rc=$?
  if [ "$rc" = "$want" ]; then ok "$d (rc=$rc)"; else bad "$d: rc=$rc want $want: $out"; fi; LAST="$out"; }
spool() { cat "$WORK"/spool/exec-*.jsonl 2>/dev/null || true; }
last_denied() { spool | grep '"outcome":"denied"' | tail -1; }

build_guard
ensure_debian
for E in "${ENGINES[@]}"; do
  echo "== $E"
  make_dirs
  write_policy "$WORK/policy/guard.json" enforce whitelist "$PROGS"
  N=guard-smoke-$E
  start "$E" $N $DEB_IMAGE
  G=( $E exec -w /workspace $N /.lasso/guard )
  out=$($E exec $N /.lasso/guard probe) && ok "probe passes: $(echo "$out" | grep -o '"name":"[^"]*","passed":[a-z]*' | tr '\n' ' ')" \
    || bad "probe: $out"
  expect "allowed: ls" 0 "${G[@]}" exec -- ls /workspace
  expect "denied: rm by name" 126 "${G[@]}" exec -- rm -f x
  last_denied | grep -q '"requested":"/usr/bin/rm".*"rule":"not-whitelisted"' && ok "denial recorded in spool" || bad "no denial record: $(spool | tail -2)"
  expect "denied: /bin/rm by absolute path" 126 "${G[@]}" exec -- /bin/rm -f x
  expect "denied from a shell" 0 "${G[@]}" exec -- bash -c 'rm -f x; test $? = 126'
  expect "denied: copy of rm named ls in /workspace" 0 "${G[@]}" exec -- bash -c 'cp /usr/bin/rm /workspace/ls && /workspace/ls -f x; test $? = 126'
  last_denied | grep -q '"path":"/workspace/ls"' && ok "copy denial recorded" || bad "copy: $(last_denied)"
  expect "denied: copy of ls in /tmp (noexec + policy)" 0 "${G[@]}" exec -- bash -c 'cp /usr/bin/ls /tmp/ls && /tmp/ls; test $? = 126'
  expect "denied: symlink named cat to rm" 0 "${G[@]}" exec -- bash -c 'ln -sf /usr/bin/rm /workspace/cat && /workspace/cat -f x; test $? = 126'
  expect "denied: script in workspace (Landlock)" 0 "${G[@]}" exec -- bash -c 'printf "#!/bin/sh\nrm -f y\n" > /workspace/s.sh && chmod +x /workspace/s.sh && /workspace/s.sh; test $? = 126'
  expect "denied: rm inside a script run by sh" 0 "${G[@]}" exec -- bash -c 'sh /workspace/s.sh 2>&1 | grep -q "Operation not permitted"'
  expect "denied: ld.so /usr/bin/rm" 0 "${G[@]}" exec -- bash -c '/lib64/ld-linux-x86-64.so.2 /usr/bin/rm -f x; test $? = 126'
  expect "denied: argument rule (cat /etc/shadow hidden path)" 126 "${G[@]}" exec -- bash -c 'cat /etc/shadow'
  expect "spool not writable by the workload" 1 "${G[@]}" exec -- bash -c 'echo forged >> /.lasso/spool/exec-000001.jsonl'
  expect "write outside write paths fails (/var/tmp)" 1 "${G[@]}" exec -- bash -c 'echo x > /var/tmp/x'
  expect "supervisor cannot be killed by the workload" 0 "${G[@]}" exec -- bash -c 'kill -9 $PPID 2>/dev/null; test $? != 0'
  expect "init cannot be signalled by the workload" 0 "${G[@]}" exec -- bash -c 'kill -TERM 1 2>/dev/null; test $? != 0'
  expect "--prechecked: first exec unchecked, children still checked" 0 "${G[@]}" exec --prechecked -- bash -c 'rm -f x; test $? = 126'
  spool | grep -q '"outcome":"prechecked"' && ok "prechecked recorded" || bad "no prechecked record"
  t0=$(date +%s%N)
  expect "--timeout kills everything (setsid too)" 137 "${G[@]}" exec --timeout 1 -- bash -c 'sleep 100 & setsid sleep 100 & wait'
  ms=$(( ($(date +%s%N)-t0)/1000000 ))
  left=$($E exec $N sh -c 'cat /proc/[0-9]*/comm 2>/dev/null | grep -c sleep' || true)
  [ "$left" = 0 ] && ok "no sleep left after timeout (${ms} ms)" || bad "$left sleep processes survived"
  spool | grep -q '"event":"timeout"' && ok "timeout recorded" || bad "no timeout record"
  expect "exit status passes through" 7 "${G[@]}" exec -- bash -c 'exit 7'
  expect "not found is 127" 127 "${G[@]}" exec -- no-such-program
  write_policy "$WORK/policy/guard.json" shadow whitelist "$PROGS"
  expect "shadow: rm runs" 0 "${G[@]}" exec -- bash -c 'touch /workspace/z && rm /workspace/z && test ! -e /workspace/z'
  spool | grep -q '"outcome":"would-deny".*"program":"rm"' && ok "shadow recorded would-deny" || bad "no would-deny: $(spool | tail -1)"
  write_policy "$WORK/policy/guard.json" record whitelist "$PROGS"
  expect "record: rm runs" 0 "${G[@]}" exec -- rm -f /workspace/none
  spool | tail -1 | grep -q '"outcome":"recorded"' && ok "recorded" || bad "no recorded outcome"
  write_policy "$WORK/policy/guard.json" enforce blacklist "rm dd nc"
  expect "blacklist: ls runs" 0 "${G[@]}" exec -- ls /
  expect "blacklist: rm denied" 126 "${G[@]}" exec -- rm -f x
  expect "blacklist: copy of ls named x in workspace (Landlock)" 0 "${G[@]}" exec -- bash -c 'cp /usr/bin/ls /workspace/x && /workspace/x; test $? = 126'
  expect "blacklist: symlink ls -> rm" 0 "${G[@]}" exec -- bash -c 'ln -sf /usr/bin/rm /workspace/ls && /workspace/ls -f q; test $? = 126'
  expect "blacklist: ld.so /workspace/x" 0 "${G[@]}" exec -- bash -c '/lib64/ld-linux-x86-64.so.2 /workspace/x; test $? = 126'
  expect "blacklist probe" 0 $E exec $N /.lasso/guard probe
  echo '{"version":1}' > "$WORK/policy/guard.json.tmp" && mv "$WORK/policy/guard.json.tmp" "$WORK/policy/guard.json"
  expect "bad guard.json is exit 120" 120 "${G[@]}" exec -- ls
  echo "$LAST" | grep -q 'missing field' && ok "error names the field: $LAST" || bad "message: $LAST"
  t0=$(date +%s%N); $E stop $N >/dev/null; ms=$(( ($(date +%s%N)-t0)/1000000 ))
  [ $ms -lt 2000 ] && ok "stop took ${ms} ms" || bad "stop took ${ms} ms"
  $E rm -f $N >/dev/null
  # A weakened container must fail its probes.
  write_policy "$WORK/policy/guard.json" enforce whitelist "$PROGS"
  start "$E" $N-weak $DEB_IMAGE --cap-add SYS_ADMIN --cap-add NET_RAW
  expect "probe catches extra capabilities" 1 $E exec $N-weak /.lasso/guard probe
  echo "$LAST" | grep -o '"name":"capabilities","passed":false,"detail":"[^"]*"' | sed 's/^/       /' || true
  $E rm -f $N-weak >/dev/null
  # Busybox image.
  write_policy "$WORK/policy/guard.json" enforce whitelist "ls cat echo sh"
  start "$E" $N-bb $BB_IMAGE
  expect "busybox probe" 0 $E exec $N-bb /.lasso/guard probe
  echo "       $LAST" | cut -c1-900 || true
  expect "busybox: rm denied by name" 126 $E exec -w /workspace $N-bb /.lasso/guard exec -- rm -f x
  expect "busybox: sh runs rm applet in-process (documented limit)" 0 $E exec -w /workspace $N-bb /.lasso/guard exec -- sh -c 'touch q; rm q'
  $E rm -f $N-bb >/dev/null
  rm -rf "$WORK"
done
if [ "${GUARD_GVISOR:-1}" = 1 ] && docker info 2>/dev/null | grep -q runsc; then
  echo "== docker + gVisor (runsc): report only"
  make_dirs; write_policy "$WORK/policy/guard.json" enforce whitelist "$PROGS"
  start docker guard-smoke-runsc $DEB_IMAGE --runtime=runsc || echo "  runsc: container did not start"
  docker exec guard-smoke-runsc /.lasso/guard version 2>&1 | sed 's/^/  /' || true
  docker exec guard-smoke-runsc /.lasso/guard probe 2>&1 | sed 's/^/  /' || true
  docker exec -w /workspace guard-smoke-runsc /.lasso/guard exec -- ls / 2>&1 | head -3 | sed 's/^/  /' || true
  docker rm -f guard-smoke-runsc >/dev/null 2>&1 || true
  rm -rf "$WORK"
fi
echo "guard-smoke: $fails failure(s)"
[ $fails = 0 ]
