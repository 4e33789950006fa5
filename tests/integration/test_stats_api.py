"""Container stats: docker-py one-shot and streaming, and `docker stats --no-stream` numbers that make sense."""

import itertools
import os

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

BUSY = "while true; do :; done"


def _cpu_percent(stats: dict) -> float:
    """The docker CLI's formula (cli/command/container/stats_helpers.go calculateCPUPercentUnix)."""
    cpu, pre = stats["cpu_stats"], stats["precpu_stats"]
    container_delta = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
    system_delta = cpu["system_cpu_usage"] - pre.get("system_cpu_usage", 0)
    if system_delta <= 0 or container_delta < 0:
        return 0.0
    return container_delta / system_delta * cpu["online_cpus"] * 100


def test_one_shot_stats_have_dockers_shape(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True, name="quiet")
    stats = container.stats(stream=False)
    assert stats["id"] == container.id
    assert stats["name"] == "/quiet"
    assert stats["read"] != "0001-01-01T00:00:00Z"
    assert stats["cpu_stats"]["online_cpus"] == os.cpu_count()
    assert stats["cpu_stats"]["system_cpu_usage"] > 0
    assert stats["precpu_stats"]["cpu_usage"]["total_usage"] <= stats["cpu_stats"]["cpu_usage"]["total_usage"]
    memory = stats["memory_stats"]
    assert 0 < memory["usage"] < 50 << 20
    assert memory["limit"] > memory["usage"]
    assert "total_inactive_file" in memory["stats"] or "inactive_file" in memory["stats"]
    assert stats["pids_stats"]["current"] == 1
    assert "eth0" in stats["networks"]
    assert stats["networks"]["eth0"]["rx_bytes"] >= 0


def test_memory_limit_of_stats_is_the_containers_limit(client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True, mem_limit="64m")
    assert container.stats(stream=False)["memory_stats"]["limit"] == 64 << 20


def test_streaming_stats_come_once_a_second_with_previous_cpu(client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True)
    stream = container.stats(stream=True, decode=True)
    try:
        first, second, third = itertools.islice(stream, 3)
    finally:
        stream.close()
    assert second["precpu_stats"] == first["cpu_stats"]
    assert third["precpu_stats"] == second["cpu_stats"]
    assert third["preread"] == second["read"]
    assert third["read"] > second["read"] > first["read"]


def test_a_busy_container_shows_cpu_above_ten_percent(client):
    container = client.containers.run("busybox", ["sh", "-c", BUSY], detach=True)
    assert _cpu_percent(container.stats(stream=False)) > 10  # not one-shot: primed over a second


def test_docker_stats_no_stream_shows_sane_cpu_and_memory_percentages(ph, client):
    client.containers.run("busybox", ["sh", "-c", BUSY], detach=True, name="busy", mem_limit="64m")
    client.containers.run("busybox", ["sleep", "60"], detach=True, name="idle")
    result = ph.docker("stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.MemPerc}} {{.MemUsage}}")
    assert result.returncode == 0, result.stderr.decode()
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.decode().splitlines()}
    assert set(rows) == {"busy", "idle"}
    busy_cpu, busy_mem = float(rows["busy"][0].rstrip("%")), float(rows["busy"][1].rstrip("%"))
    idle_cpu, idle_mem = float(rows["idle"][0].rstrip("%")), float(rows["idle"][1].rstrip("%"))
    assert 10 < busy_cpu <= 100 * os.cpu_count()
    assert 0 <= idle_cpu < 5
    assert 0 < busy_mem < 10  # a shell loop in 64 MiB
    assert 0 <= idle_mem < 1  # a sleep against the host's memory
    assert rows["busy"][4] == "64MiB"  # "<usage> / 64MiB"


def test_docker_stats_no_stream_of_one_container(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True, name="solo")
    result = ph.docker("stats", "--no-stream", "--format", "{{.ID}} {{.PIDs}}", "solo")
    assert result.stdout.decode().split() == [container.id[:12], "1"]


def test_stats_of_a_stopped_container_are_zero(client):
    container = client.containers.create("busybox", ["true"])
    stats = container.stats(stream=False)
    assert stats["read"] == "0001-01-01T00:00:00Z"
    assert stats["memory_stats"] == {}
    assert stats["pids_stats"] == {}


def test_stats_count_processes_and_block_io(client):
    container = client.containers.run("busybox", ["sh", "-c", "sleep 60 & sleep 60 & wait"], detach=True)
    stats = wait_for(
        lambda: (s := container.stats(stream=False, one_shot=True))["pids_stats"]["current"] == 3 and s,
        5,
        what="three processes",
    )
    assert isinstance(stats["blkio_stats"]["io_service_bytes_recursive"], list)
