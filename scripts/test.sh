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
echo "== the in-sandbox guard's own tests (real kernel: Landlock, seccomp notify)"
cargo test --locked --manifest-path guard/Cargo.toml 2>&1 | tee "$log_dir/guard.log" || status=1
echo "== unit tests and integration tests against docker"
LASSO_REQUIRE_ENGINE=1 LASSO_RUNTIME=docker cargo test --locked --all-targets 2>&1 | tee "$log_dir/docker.log" || status=1
echo "== integration tests against podman"
LASSO_REQUIRE_ENGINE=1 LASSO_RUNTIME=podman cargo test --locked --test '*' 2>&1 | tee "$log_dir/podman.log" || status=1

# One closing line for the whole run, summed over every test binary of both passes.
read -r results passed failed ignored < <(cat "$log_dir"/guard.log "$log_dir"/docker.log "$log_dir"/podman.log 2>/dev/null | awk '
  /^test result:/ { n++; for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i } }
  END { print n+0, p+0, f+0, g+0 }')
if [ "$results" -eq 0 ] || [ "$passed" -eq 0 ]; then
  echo "test.sh: no tests ran — treating that as a failure"
  status=1
fi
if [ "$failed" -gt 0 ]; then status=1; fi
echo "total: $passed passed, $failed failed, $ignored skipped"
exit $status
