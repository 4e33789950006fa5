"""Where porthole answered differently from Docker, each found by a real client: kill's reply, wait on a restarting
container, swarm's 503, 501 for endpoints porthole lacks, HEAD without a body, refused runtimes and storage
options, volume drivers, the container-wide MAC, endpoint fields, create's warnings, load's error stream, network
names, busybox's CMD and -v's missing source."""

import socket
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from runtime.cgroups.v1.blkio import WEIGHT_FILES
from tests.support.daemon import REPO
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root


def raw_request(ph, request: bytes) -> bytes:
    """Everything the daemon sends for one request on a connection that it then closes."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(ph.socket))
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_kill_replies_once_the_container_is_recorded_exited(ph):
    for _ in range(10):
        ph.docker("run", "-d", "--name", "victim", "busybox", "sleep", "300", check=True)
        assert ph.docker("kill", "victim").returncode == 0
        state = ph.docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "victim").stdout
        assert state == b"exited 137\n"
        assert ph.docker("rm", "victim").returncode == 0  # no 409: not running any more


def test_wait_returns_at_the_first_exit_of_a_restart_always_container(ph):
    ph.docker("run", "-d", "--name", "again", "--restart", "always", "busybox", "sh", "-c", "sleep 1; exit 3")
    result = ph.docker("wait", "again", timeout=30)
    assert (result.returncode, result.stdout) == (0, b"3\n")
    wait_for(lambda: ph.docker("inspect", "-f", "{{.RestartCount}}", "again").stdout != b"0\n", 30, what="a restart")


def test_swarm_routes_answer_as_a_docker_without_a_swarm(ph, client):
    assert client.swarm.leave(force=True) is True  # docker-py's tear-down: 503 "not part of a swarm" is fine
    nodes = ph.docker("node", "ls")
    assert nodes.returncode == 1
    assert b'This node is not a swarm manager. Use "docker swarm init"' in nodes.stderr
    assert b"This node is not part of a swarm" in ph.docker("swarm", "leave").stderr
    with pytest.raises(docker.errors.APIError) as refused:
        client.swarm.init()
    assert refused.value.response.status_code == 501 and "swarm mode is not supported" in str(refused.value)


def test_endpoints_porthole_lacks_answer_501_naming_the_feature(ph, client):
    plugins = ph.docker("plugin", "ls")
    assert plugins.returncode == 1
    assert b"GET /plugins: plugins is not supported" in plugins.stderr
    # generic inspect walks the object types and takes "not supported" as "not this type", as against Docker
    missing = ph.docker("inspect", "nothing-of-that-name")
    assert missing.returncode == 1 and b"No such object: nothing-of-that-name" in missing.stderr
    response = client.api._get(client.api._url("/no/such/endpoint"))
    assert (response.status_code, response.json()) == (404, {"message": "page not found"})


def test_head_errors_have_no_body(ph):
    reply = raw_request(ph, b"HEAD /containers/nosuch/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    headers, _, body = reply.partition(b"\r\n\r\n")
    assert headers.startswith(b"HTTP/1.1 404") and body == b""


def test_an_unknown_runtime_is_refused_and_the_default_is_runc(ph, client):
    refused = ph.docker("run", "--runtime", "kata", "busybox", "true")
    assert refused.returncode == 125 and b"unknown or invalid runtime name: kata" in refused.stderr
    container = client.containers.create("busybox", ["true"], runtime="runc")
    assert client.api.inspect_container(container.id)["HostConfig"]["Runtime"] == "runc"
    assert ph.docker("info", "-f", "{{.DefaultRuntime}}").stdout == b"runc\n"


def test_storage_opt_is_refused_as_on_overlay2_without_quotas(ph):
    refused = ph.docker("run", "--storage-opt", "size=1G", "busybox", "true")
    assert refused.returncode == 125
    assert b"--storage-opt is supported only for overlay over xfs with 'pquota' mount option" in refused.stderr
    assert ph.docker("ps", "-aq").stdout == b""


def test_a_volume_driver_that_does_not_exist_is_refused_when_it_would_make_a_volume(ph, client):
    with pytest.raises(docker.errors.NotFound, match='error looking up volume plugin nope: plugin "nope" not found'):
        client.containers.create("busybox", ["true"], volume_driver="nope", volumes=["data:/data"])
    assert client.volumes.list() == []
    client.containers.create("busybox", ["true"], volume_driver="nope")  # no volume, no plugin asked: as Docker


def test_the_container_wide_mac_address_is_applied_with_mobys_warning(client):
    response = client.api.create_container(
        "busybox", ["cat", "/sys/class/net/eth0/address"], mac_address="02:42:ac:11:00:99"
    )
    assert response["Warnings"] == [
        "The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead."
    ]
    client.api.start(response["Id"])
    client.api.wait(response["Id"], timeout=30)
    assert client.api.logs(response["Id"]) == b"02:42:ac:11:00:99\n"


@pytest.mark.parametrize("mode", ["host", "container:box"])
def test_a_mac_address_where_the_container_has_no_interface_of_its_own_is_refused_as_docker_does(ph, client, mode):
    client.containers.run("busybox", ["sleep", "300"], detach=True, name="box")
    refused = ph.docker("create", "--network", mode, "--mac-address", "02:42:ac:11:00:02", "busybox")
    assert refused.returncode == 1
    assert b"conflicting options: mac-address and the network mode" in refused.stderr  # Docker 20.10's 400
    with pytest.raises(docker.errors.APIError, match="conflicting options: mac-address and the network mode"):
        client.api.create_container(  # docker-py's container-wide field, as Docker 20.10 was asked
            "busybox", mac_address="02:42:ac:11:00:02", host_config=client.api.create_host_config(network_mode=mode)
        )
    # with `none`, Docker takes the address and ignores it
    ph.docker("create", "--network", "none", "--mac-address", "02:42:ac:11:00:02", "busybox", check=True)


def test_endpoint_links_driver_opts_and_link_local_ips_are_kept_and_applied(client):
    network = client.networks.create("front")
    container = client.containers.run("busybox", ["sleep", "300"], detach=True, name="web")
    network.connect(
        container,
        links=[("web", "self")],
        driver_opt={"com.example.x": "1"},
        link_local_ips=["169.254.7.7"],
        mac_address="02:42:ac:11:00:77",
    )
    endpoint = client.api.inspect_container(container.id)["NetworkSettings"]["Networks"]["front"]
    assert endpoint["Links"] == ["web:self"]
    assert endpoint["DriverOpts"] == {"com.example.x": "1"}
    assert endpoint["IPAMConfig"] == {"LinkLocalIPs": ["169.254.7.7"]}
    shown = container.exec_run(["ip", "addr", "show", "eth1"]).output
    assert b"inet 169.254.7.7/16" in shown and b"link/ether 02:42:ac:11:00:77" in shown  # MAC at connect
    assert endpoint["MacAddress"] == "02:42:ac:11:00:77"


def _blkio_weight_file() -> bool:
    """Whether this host's v1 blkio controller takes a weight (CFQ or BFQ)."""
    return any((Path("/sys/fs/cgroup/blkio") / name).exists() for name in WEIGHT_FILES)


def test_create_returns_the_warnings_of_limits_the_host_cannot_apply(ph):
    result = ph.docker("run", "--rm", "--blkio-weight", "300", "busybox", "true")
    assert result.returncode == 0
    warning = b"WARNING: Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."
    assert (warning in result.stderr) == (not _blkio_weight_file())  # this host's kernel decides, as Docker's


def test_loading_something_that_is_no_image_archive_is_an_error_in_the_stream(ph, client):
    with pytest.raises(docker.errors.ImageLoadError):
        client.images.load(b"this is not a tar")
    result = ph.docker("load", input=b"this is not a tar either")
    assert (result.returncode, result.stderr) == (1, b"images: load: not a valid tar archive: truncated header\n")


def test_a_network_name_with_a_space(ph):
    assert ph.docker("network", "create", "test 01").returncode == 0
    result = ph.docker("run", "--rm", "--network", "test 01", "busybox", "ip", "-4", "addr", "show", "eth0")
    assert result.returncode == 0 and b"inet " in result.stdout


def test_busybox_runs_sh_as_dockers_does(ph, client):
    cid = ph.docker("run", "-d", "-i", "busybox", check=True).stdout.strip().decode()  # no command: the image's sh
    attached = ph.docker("attach", cid, input=b"echo from sh\nexit 0\n")
    assert (attached.returncode, attached.stdout) == (0, b"from sh\n")


def test_the_readmes_busybox_pipeline_gives_the_image_cmd_sh(ph, client):
    rootfs = subprocess.run(
        [sys.executable, "-m", "porthole.cli.main", "busybox-rootfs"], capture_output=True, cwd=REPO, check=True
    ).stdout
    imported = subprocess.run(
        [sys.executable, "-m", "porthole.cli.main", "-H", ph.host, "import", "-c", 'CMD ["sh"]', "-", "bb:cmd"],
        input=rootfs,
        capture_output=True,
        cwd=REPO,
    )
    assert imported.returncode == 0, imported.stderr
    try:
        assert client.images.get("bb:cmd").attrs["Config"]["Cmd"] == ["sh"]
    finally:
        client.images.remove("bb:cmd")


def test_docker_info_fills_the_host_fields_dockerd_fills(ph, client):
    info = client.info()
    assert info["IPv4Forwarding"] is (Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == "1")
    cgroup = Path("/sys/fs/cgroup")
    if (cgroup / "cgroup.controllers").exists():  # v2: no switch for the OOM killer
        enabled = set((cgroup / "cgroup.controllers").read_text().split())
        expected = ("cpuset" in enabled, "pids" in enabled, False)
    else:
        expected = (
            (cgroup / "cpuset").is_dir(),
            (cgroup / "pids").is_dir(),
            (cgroup / "memory/memory.oom_control").exists(),
        )
    assert (info["CPUSet"], info["PidsLimit"], info["OomKillDisable"]) == expected
    assert isinstance(info["NFd"], int) and info["NFd"] > 3
    assert info["IndexServerAddress"] == "https://index.docker.io/v1/"
    assert info["Warnings"] is None
    assert "none" not in info["Plugins"]["Log"] and "json-file" in info["Plugins"]["Log"]
    shown = ph.docker("info", "-f", "{{json .Warnings}} {{.IndexServerAddress}}", check=True).stdout
    assert shown == b"null https://index.docker.io/v1/\n"
