#!/usr/bin/env bash
# Sets lasso up on a fresh Debian machine (as root): installs and starts Docker and Podman,
# builds and installs the lasso binary, builds the base image on both engines, runs `lasso check`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/start-engines.sh
echo "== building lasso (release)"
cargo build --release --locked
install -m 0755 target/release/lasso /usr/local/bin/lasso
for rt in docker podman; do
  echo "== base image on $rt"
  LASSO_RUNTIME=$rt lasso image bootstrap
done
echo "== lasso check"
lasso check
