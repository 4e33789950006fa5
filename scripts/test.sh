#!/usr/bin/env bash
# The whole test suite: installs everything first (scripts/install.sh), then runs unit and integration tests.
# Integration tests need root; each starts daemons of its own (data root, socket, bridge, subnet, iptables
# chains, cgroup parent) and removes what it made.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
mkdir -p artifacts
exec .venv/bin/pytest -q tests "$@"
