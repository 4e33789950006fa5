#!/usr/bin/env bash
# The main job: install porthole, start its daemon, make a busybox base image from Debian's busybox-static,
# run a demo web server in a container, and say how to reach it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

SOCK=/run/porthole/porthole.sock
PORTHOLE=".venv/bin/porthole -H unix://$SOCK"
LOG=/var/log/porthole.log

if ! $PORTHOLE version >/dev/null 2>&1; then
    nohup .venv/bin/porthole daemon >>"$LOG" 2>&1 &
    for _ in $(seq 100); do
        $PORTHOLE version >/dev/null 2>&1 && break
        sleep 0.1
    done
fi
$PORTHOLE version >/dev/null || { echo "demo: the daemon did not come up; see $LOG" >&2; exit 1; }

if ! $PORTHOLE image inspect busybox:latest >/dev/null 2>&1; then
    $PORTHOLE busybox-rootfs | $PORTHOLE import - busybox:latest
fi

$PORTHOLE rm -f porthole-demo >/dev/null 2>&1 || true
$PORTHOLE run -d --name porthole-demo -p 127.0.0.1:8080:80 busybox \
    sh -c 'mkdir -p /www && echo "<h1>Hello from a porthole container</h1>" > /www/index.html && exec httpd -f -p 80 -h /www'

cat <<INFO

porthole is running.
  daemon log:      $LOG
  engine API:      unix://$SOCK   (docker -H unix://$SOCK ps   works too)
  demo container:  curl http://127.0.0.1:8080/
  its logs:        $PORTHOLE logs porthole-demo
  stop it:         $PORTHOLE rm -f porthole-demo
INFO
