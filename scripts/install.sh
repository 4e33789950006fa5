#!/usr/bin/env bash
# Installs what porthole needs on a fresh Debian 12 machine, as root: the system packages it drives
# (busybox-static for the base image, iproute2, iptables, util-linux's nsenter, procps' ps) and the tools the
# tests and benchmarks use (Prometheus, headless Chromium and its driver, runc, etcd for the multi-host tests), then a virtualenv in .venv
# with porthole and its Python dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "install.sh: run me as root (porthole creates namespaces, cgroups and bridges)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
    busybox-static iproute2 iptables util-linux procps curl ca-certificates \
    python3 python3-venv python3-dev gcc \
    prometheus chromium chromium-driver runc etcd-server etcd-client

# The Debian packages may start their own Prometheus and etcd; porthole's tests start theirs, in namespaces and on
# ports of their own.
for service in prometheus etcd; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$service" 2>/dev/null; then
        systemctl stop "$service" || true
    fi
done

python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
# compat: the checkout on sys.path through a .pth line. The default editable mode installs an import finder
# that costs every porthole program 15 ms at start (a third of Python's own start-up here).
.venv/bin/pip install --quiet -e '.[test]' --config-settings editable_mode=compat
echo "install.sh: porthole installed in $(pwd)/.venv"
