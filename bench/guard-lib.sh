# Shared helpers for bench/guard-smoke.sh and bench/guard-exec-overhead.sh (sourced).
set -euo pipefail
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GUARD_DIR=$ROOT/guard
GUARD_BIN=$GUARD_DIR/target/x86_64-unknown-linux-gnu/release/lasso-guard
DEB_IMAGE=lasso-guard-debian:latest
BB_IMAGE=lasso-base:latest

build_guard() {
  (cd "$GUARD_DIR" && RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build -q --release --target x86_64-unknown-linux-gnu)
  ldd "$GUARD_BIN" 2>&1 | grep -qE 'not a dynamic executable|statically linked' \
    || { echo "lasso-guard is not static"; exit 1; }
}

# A Debian userland image in both engines: reuse one, else debootstrap it.
ensure_debian() {
  if ! docker image inspect "$DEB_IMAGE" >/dev/null 2>&1; then
    local cand
    cand=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep '^lasso-img-' | while read -r i; do
      docker run --rm --entrypoint /bin/sh "$i" -c 'test -x /bin/bash && test -x /usr/bin/seq' >/dev/null 2>&1 && { echo "$i"; break; }; done || true)
    if [ -n "$cand" ]; then
      docker tag "$cand" "$DEB_IMAGE"
    else
      local d; d=$(mktemp -d)
      debootstrap --variant=minbase bookworm "$d" >/tmp/guard-debootstrap.log 2>&1
      tar -C "$d" -c . | docker import - "$DEB_IMAGE" >/dev/null
      rm -rf "$d"
    fi
  fi
  if ! podman image exists "$DEB_IMAGE" 2>/dev/null; then
    docker save "$DEB_IMAGE" | podman load >/dev/null
  fi
}

# write_policy FILE ENFORCEMENT LIST_MODE "prog1 prog2 ..." [NETWORK]
write_policy() {
  local file=$1 enf=$2 mode=$3 progs=$4 net=${5:-none} list="" p
  for p in $progs; do list="$list\"$p\","; done
  list=${list%,}
  cat > "$file.tmp" <<JSON
{"version":1,"sandbox":"guard-smoke","enforcement":"$enf",
 "gate":{"list_mode":"$mode","programs":[$list],"blocked_args":[{"program":"git","pattern":"push --force"}],
   "allow_shell_operators":true,"allow_code_eval":false,"mode":null,"workspace":"/workspace",
   "home":"/home/sandbox","writable_paths":["/tmp","/home/sandbox"],"hidden_paths":["/etc/shadow","/proc/*/environ"]},
 "write_paths":["/workspace","/tmp","/home/sandbox"],"exec_extra":["sh"],
 "hidden_paths":["/etc/shadow","/proc/*/environ"],"network":"$net","probe_metadata":true,
 "accept_missing":[],"spool_max_bytes":268435456}
JSON
  mv "$file.tmp" "$file"   # atomic, as the host does
}

# Host directories for one sandbox: $WORK/{ws,policy,spool}.
make_dirs() {
  WORK=$(mktemp -d /tmp/guard-smoke.XXXXXX)
  mkdir -p "$WORK/ws" "$WORK/policy" "$WORK/spool"
  chown 1000:1000 "$WORK/ws" "$WORK/spool"
  chmod 755 "$WORK"
}

# start ENGINE NAME IMAGE [extra run args...]: a hardened sandbox with lasso-guard as PID 1.
start() {
  local eng=$1 name=$2 img=$3; shift 3
  $eng rm -f "$name" >/dev/null 2>&1 || true
  # Podman 4.3 rejects uid=/gid= on --tmpfs.
  local home_opts="rw,noexec,uid=1000,gid=1000"
  [ "$eng" = podman ] && home_opts="rw,noexec,mode=1777"
  $eng run -d --name "$name" --read-only --cap-drop ALL --security-opt no-new-privileges \
    --user 1000:1000 --network none \
    --tmpfs /tmp:rw,noexec,nosuid,nodev --tmpfs /home/sandbox:$home_opts \
    -v "$WORK/ws:/workspace" -v "$GUARD_BIN:/.lasso/guard:ro" -v "$WORK/policy:/.lasso/policy:ro" \
    -v "$WORK/spool:/.lasso/spool" -v /dev/null:/etc/shadow:ro -w /workspace \
    --entrypoint /.lasso/guard "$@" "$img" init >/dev/null
}
