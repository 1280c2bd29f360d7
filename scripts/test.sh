#!/usr/bin/env bash
# Runs lasso's whole test suite: unit tests, then every integration test once against Docker
# and once against Podman, with LASSO_REQUIRE_ENGINE=1 so a missing engine fails instead of
# skipping. Installs and starts the engines first if needed (Debian, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/start-engines.sh

export CARGO_TERM_COLOR=never
log_dir=$(mktemp -d)
echo "== build"
cargo build --locked --all-targets

for rt in docker podman; do
  echo "== base image on $rt"
  LASSO_RUNTIME=$rt LASSO_HOME="$log_dir/home-$rt" target/debug/lasso image bootstrap
done

# The end-to-end MCP test drives `lasso mcp` with the official Python MCP SDK (PyPI `mcp`),
# installed in a virtualenv; LASSO_REQUIRE_MCP_CLIENT=1 makes a missing client a failure.
echo "== python MCP client (target/mcp-venv)"
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q python3-venv >/tmp/lasso-apt-venv.log 2>&1 || { tail -30 /tmp/lasso-apt-venv.log; exit 1; }
fi
if ! target/mcp-venv/bin/python -c 'import mcp' >/dev/null 2>&1; then
  rm -rf target/mcp-venv
  python3 -m venv target/mcp-venv
  target/mcp-venv/bin/pip install -q --disable-pip-version-check mcp
fi
export LASSO_MCP_PYTHON="$PWD/target/mcp-venv/bin/python"
export LASSO_REQUIRE_MCP_CLIENT=1

# Property-based API testing of `lasso serve` against its OpenAPI document (tests/api_schema.rs).
echo "== schemathesis (target/api-venv)"
if ! target/api-venv/bin/schemathesis --version >/dev/null 2>&1; then
  rm -rf target/api-venv
  python3 -m venv target/api-venv
  target/api-venv/bin/pip install -q --disable-pip-version-check schemathesis
fi
export LASSO_SCHEMATHESIS="$PWD/target/api-venv/bin/schemathesis"
export LASSO_REQUIRE_SCHEMATHESIS=1

# tests/api_docs.rs runs docs/api.md's curl examples; LASSO_REQUIRE_ENGINE=1 makes a missing curl fail.
if ! command -v curl >/dev/null 2>&1; then
  echo "== curl"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q curl >/tmp/lasso-apt-curl.log 2>&1 || { tail -30 /tmp/lasso-apt-curl.log; exit 1; }
fi

status=0
# A test that fails is run once more, alone (the same binary, filter and environment). One
# that then passes is reported as FLAKY by name in the summary — a bug to fix, but not a reason
# to throw away a run on a loaded CI machine; one that fails twice fails the run.
retry_failures() { # $1: pass log; env of the pass in the rest of the arguments
  local log=$1; shift
  awk '/^ *Running .*\(target\// { match($0, /\(target\/[^)]*\)/); bin = substr($0, RSTART + 1, RLENGTH - 2) }
       /^test .* \.\.\. FAILED$/ { sub(/^test /, ""); sub(/ \.\.\. FAILED$/, ""); print bin "\t" $0 }' "$log" |
  while IFS=$'\t' read -r bin name; do
    [ -n "$bin" ] || continue
    echo "== retrying $name ($bin)"
    # It must really have run (and passed) that one test: a filter that matched nothing passes too.
    if env "$@" CARGO_MANIFEST_DIR="$PWD" "$bin" --exact "$name" >"$log_dir/retry.out" 2>&1 &&
      grep -q '^test result: ok\. 1 passed' "$log_dir/retry.out"; then
      echo "FLAKY: $name passed on retry"
      echo "$name" >>"$log_dir/flaky"
    else
      tail -40 "$log_dir/retry.out"
      echo "FAILED again: $name"
      echo "$name" >>"$log_dir/failed"
    fi
  done
}
echo "== the in-sandbox guard's own tests (real kernel: Landlock, seccomp notify)"
cargo test --locked --no-fail-fast --manifest-path guard/Cargo.toml 2>&1 | tee "$log_dir/guard.log" || status=1
echo "== unit tests and integration tests against docker"
LASSO_REQUIRE_ENGINE=1 LASSO_RUNTIME=docker cargo test --locked --no-fail-fast --all-targets 2>&1 | tee "$log_dir/docker.log" || true
retry_failures "$log_dir/docker.log" LASSO_REQUIRE_ENGINE=1 LASSO_RUNTIME=docker
echo "== integration tests against podman"
LASSO_REQUIRE_ENGINE=1 LASSO_RUNTIME=podman cargo test --locked --no-fail-fast --test '*' 2>&1 | tee "$log_dir/podman.log" || true
retry_failures "$log_dir/podman.log" LASSO_REQUIRE_ENGINE=1 LASSO_RUNTIME=podman

# One closing line for the whole run, summed over every test binary of both passes.
read -r results passed failed ignored < <(cat "$log_dir"/guard.log "$log_dir"/docker.log "$log_dir"/podman.log 2>/dev/null | awk '
  /^test result:/ { n++; for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i } }
  END { print n+0, p+0, f+0, g+0 }')
flaky=$( [ -f "$log_dir/flaky" ] && wc -l <"$log_dir/flaky" || echo 0)
still=$( [ -f "$log_dir/failed" ] && wc -l <"$log_dir/failed" || echo 0)
# A failure that the summary lines count but the retry could not find (a crashed binary, a
# build error) still fails the run.
if [ "$failed" -gt $((flaky + still)) ]; then still=$((failed - flaky)); fi
if [ "$results" -eq 0 ] || [ "$passed" -eq 0 ]; then
  echo "test.sh: no tests ran — treating that as a failure"
  status=1
fi
if ! grep -q '^test result:' "$log_dir/docker.log" || ! grep -q '^test result:' "$log_dir/podman.log"; then
  echo "test.sh: a pass produced no test results (build failure?) — treating that as a failure"
  status=1
fi
for pass in docker podman; do
  # Every binary with failing tests prints one `test result: FAILED` and one `error: test
  # failed`; more of the latter means a binary died without results (a crash, a build error).
  died=$(( $(grep -c '^error: test failed' "$log_dir/$pass.log" || true) - $(grep -c '^test result: FAILED' "$log_dir/$pass.log" || true) ))
  if [ "$died" -gt 0 ] || grep -q '^error: could not compile' "$log_dir/$pass.log"; then
    echo "test.sh: on $pass a test binary ended without results (crash or build error) — treating that as a failure"
    grep -B3 "process didn't exit successfully" "$log_dir/$pass.log" | head -20
    status=1
  fi
done
if [ "$still" -gt 0 ]; then status=1; fi
if [ "$flaky" -gt 0 ]; then
  echo "flaky (failed, then passed alone): $(paste -sd, "$log_dir/flaky")"
fi
echo "total: $((passed + flaky)) passed, $still failed, $ignored skipped, $flaky flaky"
exit $status
