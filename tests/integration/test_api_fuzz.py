"""Property-based requests against every implemented endpoint (hypothesis, a fixed seed, a bounded budget):
valid create bodies with fields replaced by arbitrary JSON, arbitrary path parameters and query strings. The
daemon must never answer 500, must stay up, and once the containers it made are removed nothing of them may
remain: no cgroup, no veth on its bridge, no network namespace, no mount.

Not from Docker's OpenAPI description (no copy of it ships here): the routes are porthole's own table, the
fields Docker's. Left out: pulls (/images/create reaches registries), and the calls that hold a connection
for as long as a container lives (attach, exec start, wait, events, logs --follow, streamed stats).

PORTHOLE_FUZZ_EXAMPLES raises the budget (default 300 examples, a few minutes here)."""

import http.client
import json
import os
import socket
import subprocess
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.root

EXAMPLES = int(os.environ.get("PORTHOLE_FUZZ_EXAMPLES", "300"))
TARGET = "fuzz-target"
RUN = ("POST", "/containers/create+start")
ROUTES = [
    ("POST", "/containers/create"), ("GET", "/containers/json"), ("GET", "/containers/{ref}/json"),
    ("POST", "/containers/{ref}/start"), ("POST", "/containers/{ref}/stop"), ("POST", "/containers/{ref}/kill"),
    ("POST", "/containers/{ref}/restart"), ("POST", "/containers/{ref}/pause"),
    ("POST", "/containers/{ref}/unpause"), ("DELETE", "/containers/{ref}"), ("GET", "/containers/{ref}/top"),
    ("POST", "/containers/{ref}/exec"), ("GET", "/exec/{ref}/json"), ("POST", "/exec/{ref}/resize"),
    ("POST", "/images/load"), ("GET", "/images/get"), ("GET", "/images/json"), ("GET", "/images/{ref}/json"),
    ("GET", "/images/{ref}/history"), ("POST", "/images/{ref}/tag"), ("DELETE", "/images/{ref}"),
    ("GET", "/images/{ref}/get"), ("POST", "/networks/create"), ("GET", "/networks"), ("POST", "/networks/prune"),
    ("GET", "/networks/{ref}"), ("DELETE", "/networks/{ref}"), ("POST", "/networks/{ref}/connect"),
    ("POST", "/networks/{ref}/disconnect"), ("GET", "/containers/{ref}/logs"), ("GET", "/containers/{ref}/stats"),
    ("GET", "/_ping"), ("GET", "/version"), ("GET", "/info"), ("POST", "/volumes/create"), ("GET", "/volumes"),
    ("POST", "/volumes/prune"), ("GET", "/volumes/{ref}"), ("DELETE", "/volumes/{ref}"),
]  # fmt: skip
# Docker's create fields, top level and HostConfig, that the fuzzer fills with arbitrary JSON
CONFIG_FIELDS = ["Hostname", "Domainname", "User", "Env", "Cmd", "Entrypoint", "Image", "Labels", "WorkingDir",
                 "ExposedPorts", "Volumes", "StopSignal", "StopTimeout", "Healthcheck", "OpenStdin", "Tty"]  # fmt: skip
HOST_CONFIG_FIELDS = [
    "Binds", "PortBindings", "RestartPolicy", "AutoRemove", "NetworkMode", "VolumesFrom", "LogConfig", "Mounts",
    "Privileged", "CapAdd", "CapDrop", "SecurityOpt", "ReadonlyRootfs", "Tmpfs", "Devices", "DeviceCgroupRules",
    "Ulimits", "GroupAdd", "Sysctls", "ShmSize", "Init", "OomScoreAdj", "PidMode", "IpcMode", "UTSMode",
    "CgroupnsMode", "UsernsMode", "Memory", "MemorySwap", "CpuShares", "NanoCpus", "CpusetCpus", "PidsLimit",
    "Dns", "ExtraHosts", "BlkioWeight",
]  # fmt: skip
QUERY_KEYS = ["all", "filters", "force", "v", "t", "signal", "name", "tail", "since", "until", "repo", "tag",
              "names", "ps_args", "h", "w", "size", "limit", "link", "timestamps", "stdout", "stderr"]  # fmt: skip

scalars = st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
names = st.sampled_from([TARGET, "busybox", "busybox:latest", "bridge", "none", "nosuch"]) | st.text(
    min_size=1, max_size=20
)


@st.composite
def requests(draw):
    # creates (and creates then starts: the start is where options become mounts, namespaces and limits) weigh
    # as much as all the other routes together
    method, template = draw(st.sampled_from(ROUTES) | st.sampled_from([("POST", "/containers/create"), RUN]))
    path = template.replace("{ref}", quote(draw(names), safe=""))
    query = {k: draw(st.text(max_size=20) | st.sampled_from(["1", "0", "true", '{"a":["b"]}'])) for k in
             draw(st.lists(st.sampled_from(QUERY_KEYS), max_size=3, unique=True))}  # fmt: skip
    query.update({"follow": "0", "stream": "0"})  # nothing that holds the connection open
    if "t" in query:
        query["t"] = "1"  # a stop's grace period stays short
    body = None
    if method == "POST":
        body = {"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}}
        for field in draw(st.lists(st.sampled_from(CONFIG_FIELDS), max_size=2, unique=True)):
            body[field] = draw(json_values)
        for field in draw(st.lists(st.sampled_from(HOST_CONFIG_FIELDS), max_size=3, unique=True)):
            body["HostConfig"][field] = draw(json_values)
        body = draw(st.sampled_from([body, draw(json_values)]))
    return method, f"/v1.44{path}?{urlencode(query)}", body


def _send(ph, method: str, path: str, body) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("docker", timeout=60)
    conn.sock = socket.socket(socket.AF_UNIX)
    conn.sock.settimeout(60)
    conn.sock.connect(str(ph.socket))
    try:
        data = None if body is None else json.dumps(body)
        conn.request(method, path, data, {"Content-Type": "application/json"} if data else {})
        response = conn.getresponse()
        data = response.read()
        try:
            reply = json.loads(data) if response.getheader("Content-Type") == "application/json" else {}
        except ValueError:
            reply = {}
        return response.status, reply if isinstance(reply, dict) else {}
    finally:
        conn.close()


def _ensure_target(client) -> None:
    """A running container for the fuzzer's stops, kills and removals to hit, made anew when they did."""
    found = client.containers.list(all=True, filters={"name": f"^/{TARGET}$"})
    if found and found[0].status == "running":
        return
    for container in found:
        container.remove(force=True)
    client.containers.run("busybox", ["sleep", "600"], name=TARGET, detach=True, network_mode="none")


def test_no_request_gets_a_500_and_nothing_half_made_remains(ph, client):
    failures: list[str] = []

    @seed(15)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(requests())
    def one(request):
        _ensure_target(client)
        method, path, body = request
        run = "/containers/create+start" in path
        status, reply = _send(ph, method, path.replace("+start", ""), body)
        if run and status == 201:
            status, reply = _send(ph, "POST", f"/v1.44/containers/{reply['Id']}/start", None)
        if status == 500:
            failures.append(f"{method} {path} {json.dumps(body)[:300]}: {reply}")

    one()
    assert client.ping()
    assert failures == [], "\n".join(failures[:10])
    ph.remove_everything()
    _assert_nothing_left(ph)


def _assert_nothing_left(ph) -> None:
    groups = [p for h in Path("/sys/fs/cgroup").iterdir() for p in (h / ph.cgroup_parent).glob("*") if p.is_dir()]
    assert groups == []
    netns = ph.exec_root / "netns"
    assert not netns.exists() or list(netns.iterdir()) == []
    links = subprocess.run(["ip", "-o", "link", "show", "master", ph.bridge], capture_output=True, text=True)
    assert links.stdout.strip() == ""
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f if str(ph.root) in line]
    assert mounts == []
