"""A docker-compose project (Debian's docker-compose 1.29.2, on docker-py) against porthole: a healthcheck,
depends_on with service_healthy, exec -T with stdin, --scale, restart, and down -v leaving nothing behind."""

import json
import os
import subprocess

import pytest

from common import rfc3339

pytestmark = pytest.mark.root

PROJECT = "proj"
COMPOSE_FILE = """\
version: "2.4"
services:
  db:
    image: busybox
    command: sh -c "sleep 2; touch /tmp/ready; exec sleep 3600"
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 500ms
      retries: 30
    volumes: [data:/data]
  web:
    image: busybox
    command: sh -c "touch /data/web-was-here; exec sleep 3600"
    depends_on:
      db:
        condition: service_healthy
    volumes: [data:/data]
volumes:
  data:
"""


@pytest.fixture
def compose(ph, tmp_path):
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_FILE)

    def run(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["docker-compose", "-p", PROJECT, *args],
            cwd=tmp_path,
            env={**os.environ, "DOCKER_HOST": ph.host},
            input=input,
            capture_output=True,
            timeout=180,
        )

    yield run
    run("down", "-v")


def project_objects(ph) -> dict[str, list[str]]:
    label = f"label=com.docker.compose.project={PROJECT}"
    return {
        "containers": ph.docker("ps", "-aq", "--filter", label).stdout.decode().split(),
        "networks": ph.docker("network", "ls", "-q", "--filter", label).stdout.decode().split(),
        "volumes": ph.docker("volume", "ls", "-q", "--filter", label).stdout.decode().split(),
    }


def test_a_compose_project_from_up_to_down(ph, client, compose):
    up = compose("up", "-d")
    assert up.returncode == 0, up.stderr.decode()
    db, web = client.containers.get(f"{PROJECT}_db_1"), client.containers.get(f"{PROJECT}_web_1")
    assert db.attrs["State"]["Health"]["Status"] == "healthy"  # compose waited for it before starting web
    first_healthy = next(r for r in db.attrs["State"]["Health"]["Log"] if r["ExitCode"] == 0)
    web_started = rfc3339.unix_seconds(web.attrs["State"]["StartedAt"]) or 0.0
    assert web_started >= (rfc3339.unix_seconds(first_healthy["End"]) or 0.0)
    assert db.exec_run(["test", "-f", "/data/web-was-here"]).exit_code == 0  # one volume for both

    executed = compose("exec", "-T", "db", "sh", "-c", "tr a-z A-Z; echo done", input=b"piped in\n")
    assert (executed.returncode, executed.stdout) == (0, b"PIPED IN\ndone\n")

    scaled = compose("up", "-d", "--scale", "web=3")
    assert scaled.returncode == 0, scaled.stderr.decode()
    webs = client.containers.list(filters={"label": ["com.docker.compose.service=web"]})
    assert len(webs) == 3 and all(c.status == "running" for c in webs)

    before = {c.id: c.attrs["State"]["StartedAt"] for c in webs}
    assert compose("restart", "web").returncode == 0
    after = {c.id: client.api.inspect_container(c.id)["State"]["StartedAt"] for c in webs}
    assert all(after[cid] > before[cid] for cid in before)

    listed = compose("ps")
    assert listed.returncode == 0 and b"(healthy)" in listed.stdout

    down = compose("down", "-v")
    assert down.returncode == 0, down.stderr.decode()
    assert project_objects(ph) == {"containers": [], "networks": [], "volumes": []}
    assert json.loads(ph.docker("volume", "ls", "--format", "{{json .Name}}").stdout or b"null") is None
