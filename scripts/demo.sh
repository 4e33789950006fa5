#!/usr/bin/env bash
# The main job: install porthole, start its daemon (with its engine metrics), make a busybox base image from
# Debian's busybox-static, run a demo workload (a web server and a client fetching from it), start the
# exporter, the dashboard with its topology map, a Prometheus scraping both with porthole's rules and sending
# their alerts to Debian's prometheus-alertmanager (dashboards/alertmanager.yml), and say how to reach each. Run it again and it starts only what is not running yet.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

SOCK=/run/porthole/porthole.sock
PORTHOLE=".venv/bin/porthole -H unix://$SOCK"
LOGS=/var/log/porthole
PROMETHEUS_DATA=/var/lib/porthole-demo/prometheus
ALERTMANAGER_DATA=/var/lib/porthole-demo/alertmanager
mkdir -p "$LOGS" "$PROMETHEUS_DATA" "$ALERTMANAGER_DATA"

# start NAME CHECK COMMAND...: runs COMMAND in the background (log in $LOGS/NAME.log) unless CHECK succeeds,
# then waits up to 10 s for CHECK.
start() {
    local name=$1 check=$2
    shift 2
    if ! eval "$check" >/dev/null 2>&1; then
        nohup "$@" >>"$LOGS/$name.log" 2>&1 &
    fi
    for _ in $(seq 100); do
        eval "$check" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "demo: $name did not come up; see $LOGS/$name.log" >&2
    exit 1
}

start daemon "$PORTHOLE version" .venv/bin/porthole daemon --metrics-addr 127.0.0.1:9323

if ! $PORTHOLE image inspect busybox:latest >/dev/null 2>&1; then
    $PORTHOLE busybox-rootfs | $PORTHOLE import - busybox:latest
fi

# a network of their own, so that the ticker finds the web server by name (and the map draws the edge)
$PORTHOLE network inspect porthole-demo >/dev/null 2>&1 || $PORTHOLE network create porthole-demo >/dev/null
$PORTHOLE rm -f porthole-demo porthole-ticker >/dev/null 2>&1 || true
$PORTHOLE run -d --name porthole-demo --network porthole-demo --restart unless-stopped -p 127.0.0.1:8000:80 \
    -l demo=web busybox \
    sh -c 'mkdir -p /www && echo "<h1>Hello from a porthole container</h1>" > /www/index.html && exec httpd -f -v -p 80 -h /www'
$PORTHOLE run -d --name porthole-ticker --network porthole-demo --restart unless-stopped -l demo=client busybox \
    sh -c 'while true; do wget -q -O /dev/null http://porthole-demo/ && echo "fetched the page at $(date +%T)"; sleep 2; done'

start exporter "curl -sf -o /dev/null http://127.0.0.1:9338/metrics" .venv/bin/porthole -H "unix://$SOCK" exporter
start web "curl -sf -o /dev/null http://127.0.0.1:8080/" .venv/bin/porthole -H "unix://$SOCK" web
start alertmanager "curl -sf http://127.0.0.1:9093/-/ready" prometheus-alertmanager \
    --config.file=dashboards/alertmanager.yml --storage.path="$ALERTMANAGER_DATA" \
    --web.listen-address=127.0.0.1:9093 --cluster.listen-address=
start prometheus "curl -sf http://127.0.0.1:9090/-/ready" prometheus --config.file=dashboards/prometheus.yml \
    --storage.tsdb.path="$PROMETHEUS_DATA" --web.listen-address=127.0.0.1:9090

cat <<INFO

porthole is running.
  engine API:       unix://$SOCK   (docker -H unix://$SOCK ps   works too)
  demo web server:  curl http://127.0.0.1:8000/
  its logs:         $PORTHOLE logs -f porthole-demo
  dashboard:        http://127.0.0.1:8080/   (topology map: http://127.0.0.1:8080/topology)
  cAdvisor metrics: curl http://127.0.0.1:9338/metrics
  engine metrics:   curl http://127.0.0.1:9323/metrics
  Prometheus:       http://127.0.0.1:9090/   (Grafana dashboards to import: dashboards/grafana/*.json)
  Alertmanager:     http://127.0.0.1:9093/   (alerts go to the webhook in dashboards/alertmanager.yml)
  service logs:     $LOGS/
  stop the demo:    $PORTHOLE rm -f porthole-demo porthole-ticker
INFO
