#!/usr/bin/env bash
# Installs what porthole needs on a fresh Debian 12 machine, as root: the system packages it drives
# (busybox-static for the base image, iproute2, iptables, util-linux's nsenter, procps' ps) and the tools the
# tests and benchmarks use (Prometheus and Alertmanager, headless Chromium and its driver, runc, rsyslog with
# GnuTLS, systemd's journald, Distribution's registry, skopeo and htpasswd, Docker's dockerd to measure beside,
# openssl for test CAs, etcd for the multi-host tests), then a virtualenv in .venv with porthole and its Python
# dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "install.sh: run me as root (porthole creates namespaces, cgroups and bridges)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# The packages must not start their services (dockerd with its bridge and iptables rules, rsyslogd on
# /dev/log, Alertmanager on 9093): the tests and benchmarks start their own. Where no policy-rc.d forbids it
# already, one does for the length of the install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update
apt-get install -y --no-install-recommends \
    busybox-static iproute2 iptables util-linux procps curl ca-certificates \
    python3 python3-venv python3-dev gcc \
    prometheus prometheus-alertmanager chromium chromium-driver runc libseccomp2 tini \
    rsyslog rsyslog-gnutls systemd docker.io openssl \
    docker-registry skopeo apache2-utils docker-compose etcd-server etcd-client \
    golang-github-docker-docker-dev  # moby's api/swagger.yaml, which the API fuzz test generates requests from

# The Debian packages may start their own Prometheus, Alertmanager, rsyslog, registry, etcd and dockerd;
# porthole's tests and benchmarks start theirs on their own ports, sockets, roots and namespaces.
if command -v systemctl >/dev/null; then
    for service in prometheus prometheus-alertmanager rsyslog docker-registry etcd docker docker.socket containerd; do
        if systemctl is-active --quiet "$service" 2>/dev/null; then
            systemctl stop "$service" || true
        fi
    done
fi

python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
# compat: the checkout on sys.path through a .pth line. The default editable mode installs an import finder
# that costs every porthole program 15 ms at start (a third of Python's own start-up here).
.venv/bin/pip install --quiet -e '.[test]' --config-settings editable_mode=compat
echo "install.sh: porthole installed in $(pwd)/.venv"
