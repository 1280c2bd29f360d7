#!/usr/bin/env bash
# Installs (if needed) and starts Docker and Podman the way ENGINES.md says works on these
# machines: no systemd, cgroup v1 hybrid, runc for Podman, ulimits under the host hard limit.
# Idempotent: an engine that already answers on its socket is left alone.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
for bin in dockerd podman runc runsc busybox debootstrap iptables; do
  command -v "$bin" >/dev/null 2>&1 || need+=("$bin")
done
[ -x /usr/libexec/podman/catatonit ] || need+=(catatonit)
if [ "${#need[@]}" -gt 0 ]; then
  echo "start-engines: installing packages (missing: ${need[*]})"
  apt-get update -q >/dev/null
  apt-get install -y -q docker.io podman runc netavark aardvark-dns catatonit busybox-static \
    iptables debootstrap runsc >/tmp/lasso-apt.log 2>&1 || { tail -30 /tmp/lasso-apt.log; exit 1; }
fi
mkdir -p /etc/containers
if ! grep -q 'lasso: engine config' /etc/containers/containers.conf 2>/dev/null; then
  cat > /etc/containers/containers.conf <<'CONF'
# lasso: engine config (written by scripts/start-engines.sh)
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
CONF
fi
# The packaged runsc misdetects network namespaces on recent kernels: register it with Docker
# with its own network stack disabled (lasso only uses gVisor with network none anyway).
# Podman 4.3 ignores a per-container runtime, so lasso refuses gVisor there.
mkdir -p /etc/docker
if ! grep -q runsc /etc/docker/daemon.json 2>/dev/null; then
  cat > /etc/docker/daemon.json <<'JSON'
{"runtimes": {"runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}}}
JSON
fi
ping_sock() { curl -sf --max-time 2 --unix-socket "$1" http://d/_ping >/dev/null 2>&1; }
DOCKER_SOCK=/var/run/docker.sock
PODMAN_SOCK=/run/podman/podman.sock
mkdir -p /run/podman
if ! ping_sock "$DOCKER_SOCK"; then
  mkdir -p /tmp/dockerdata /tmp/dockerexec
  (cd / && exec setsid dockerd --host "unix://$DOCKER_SOCK" --data-root /tmp/dockerdata \
    --exec-root /tmp/dockerexec --pidfile /tmp/dockerd.pid \
    >/tmp/dockerd.log 2>&1 </dev/null) &
fi
if ! ping_sock "$PODMAN_SOCK"; then
  # From /: the daemons (Podman's conmon writes an `oom` marker) must not write into the caller's cwd.
  (cd / && exec setsid podman system service --time=0 "unix://$PODMAN_SOCK" >/tmp/podman-svc.log 2>&1 </dev/null) &
fi
for sock in "$DOCKER_SOCK" "$PODMAN_SOCK"; do
  for _ in $(seq 1 60); do ping_sock "$sock" && break; sleep 0.5; done
  if ping_sock "$sock"; then echo "start-engines: $sock is up"; else
    echo "start-engines: $sock did not come up"; tail -20 /tmp/dockerd.log /tmp/podman-svc.log; exit 1; fi
done
