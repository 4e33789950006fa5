"""The everyday verbs with the docker CLI and docker-py: rename, update, container/image/system prune, system df,
events for networks and volumes, wait conditions, legacy links."""

import json
import time
from pathlib import Path

import docker
import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

CGROUP = Path("/sys/fs/cgroup")


def cgroup_file(ph, container_id: str, controller: str, name: str) -> str:
    return (CGROUP / controller / ph.cgroup_parent / container_id / name).read_text().strip()


def events(ph, since: float, *filters: str) -> list[str]:
    args = [arg for f in filters for arg in ("--filter", f)]
    out = ph.docker("events", "--since", str(since), "--until", str(time.time()), *args,
                    "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")  # fmt: skip
    return out.stdout.decode().splitlines()


def test_rename_with_dockers_checks_and_the_dns_name_follows(ph):
    ph.docker("network", "create", "front", check=True)
    ph.docker("run", "-d", "--name", "old", "--network", "front", "busybox", "sleep", "300", check=True)
    ph.docker("run", "-d", "--name", "taken", "busybox", "sleep", "300", check=True)
    since = time.time()
    assert ph.docker("rename", "old", "new").returncode == 0
    assert ph.docker("inspect", "-f", "{{.Name}}", "new").stdout == b"/new\n"
    conflict = ph.docker("rename", "new", "taken")
    assert conflict.returncode == 1 and b'The container name "/taken" is already in use' in conflict.stderr
    same = ph.docker("rename", "new", "new")
    assert b"Renaming a container with the same name as its current name" in same.stderr
    assert b"Invalid container name (bad name)" in ph.docker("rename", "new", "bad name").stderr
    lookup = ph.docker("run", "--rm", "--network", "front", "busybox", "nslookup", "new", "127.0.0.11")
    assert lookup.returncode == 0 and b"Name:\tnew" in lookup.stdout
    assert "container rename new" in events(ph, since, "event=rename")


def test_update_applies_limits_to_the_running_cgroup_and_the_restart_policy(ph):
    cid = ph.docker("run", "-d", "busybox", "sh", "-c", "sleep 1; exit 3", check=True).stdout.decode().strip()
    wait_for(lambda: ph.docker("inspect", "-f", "{{.State.Status}}", cid).stdout == b"exited\n", 20, what="exit")
    result = ph.docker("update", "--restart", "on-failure:2", cid)
    assert result.returncode == 0
    ph.docker("start", cid, check=True)
    wait_for(lambda: ph.docker("inspect", "-f", "{{.RestartCount}}", cid).stdout == b"2\n", 30, what="2 restarts")
    long = ph.docker("run", "-d", "busybox", "sleep", "300", check=True).stdout.decode().strip()
    assert ph.docker("update", "--memory", "64m", "--memory-swap", "128m", "--cpus", "0.5", "--pids-limit", "40",
                     long).returncode == 0  # fmt: skip
    assert cgroup_file(ph, long, "memory", "memory.limit_in_bytes") == str(64 << 20)
    assert cgroup_file(ph, long, "cpu", "cpu.cfs_quota_us") == "50000"
    assert cgroup_file(ph, long, "pids", "pids.max") == "40"
    shown = ph.docker(
        "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}", long
    )
    assert shown.stdout == f"{64 << 20} 500000000 40\n".encode()
    assert ph.docker("update", "--memory", "32m", long).returncode == 0  # below the swap limit: allowed
    assert cgroup_file(ph, long, "memory", "memory.limit_in_bytes") == str(32 << 20)


def test_update_refusals_are_dockers(ph, client):
    plain = ph.docker("run", "-d", "busybox", "sleep", "300", check=True).stdout.decode().strip()
    refused = ph.docker("update", "--memory", "64m", plain)  # no swap limit set yet: moby wants one too
    assert b"Memory limit should be smaller than already set memoryswap limit" in refused.stderr
    removed = ph.docker("run", "-d", "--rm", "busybox", "sleep", "300", check=True).stdout.decode().strip()
    refused = ph.docker("update", "--restart", "always", removed)
    assert b"Restart policy cannot be updated because AutoRemove is enabled for the container" in refused.stderr
    assert b"porthole: update: KernelMemory is not supported" in ph.docker("update", "--kernel-memory", "8m",
                                                                          plain).stderr  # fmt: skip


def test_update_returns_the_warnings_of_limits_the_host_cannot_apply(ph):
    cid = ph.docker("run", "-d", "busybox", "sleep", "300", check=True).stdout.decode().strip()
    result = ph.docker("update", "--blkio-weight", "300", cid)
    weight_files = ("blkio.bfq.weight", "blkio.weight")
    supported = any((CGROUP / "blkio" / ph.cgroup_parent / cid / f).exists() for f in weight_files)
    assert result.returncode == 0
    assert (b"Block I/O weight or the cgroup is not mounted. Weight discarded." in result.stdout) == (not supported)


def test_container_prune_removes_the_stopped_that_match(ph, client):
    keep_running = ph.docker("run", "-d", "busybox", "sleep", "300", check=True).stdout.decode().strip()
    stopped = ph.docker("run", "-d", "-l", "tier=web", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /f")
    other = ph.docker("run", "-d", "-l", "tier=db", "busybox", "true", check=True).stdout.decode().strip()
    stopped_id = stopped.stdout.decode().strip()
    for cid in (stopped_id, other):
        client.api.wait(cid, timeout=30)
    report = client.containers.prune(filters={"label": ["tier=web"]})
    assert report["ContainersDeleted"] == [stopped_id] and report["SpaceReclaimed"] >= 100_000
    until = client.containers.prune(filters={"until": "1h"})  # created less than an hour ago: kept
    assert until["ContainersDeleted"] is None or until["ContainersDeleted"] == []
    cli = ph.docker("container", "prune", "-f")
    assert cli.returncode == 0 and other.encode() in cli.stdout
    assert ph.docker("ps", "-aq", "--no-trunc").stdout.decode().split() == [keep_running]


def test_image_prune_removes_dangling_images_and_with_all_every_unused_one(ph, client, busybox_rootfs):
    ph.docker("run", "-d", "busybox", "sleep", "300", check=True)  # busybox is in use: never pruned
    ph.docker("import", "-c", "LABEL v=1", str(busybox_rootfs), "app:1", check=True)
    first = client.images.get("app:1").id
    ph.docker("import", "-c", "LABEL v=2", str(busybox_rootfs), "app:1", check=True)  # the tag moves on
    second = client.images.get("app:1").id
    assert first != second
    report = client.images.prune()  # dangling only: the first, left without a tag
    assert report["ImagesDeleted"] == [{"Deleted": first}]
    assert client.images.get("app:1").id == second
    everything = ph.docker("image", "prune", "-a", "-f")
    assert everything.returncode == 0
    assert f"untagged: app:1\ndeleted: {second}".encode() in everything.stdout
    assert client.images.get("busybox:latest")


def test_system_df_and_system_prune(ph, client):
    client.volumes.create("kept-data")
    client.containers.run("busybox", ["sh", "-c", "head -c 50000 /dev/zero > /d/f"], volumes=["kept-data:/d"],
                          name="writer")  # fmt: skip
    df = client.df()
    (volume,) = [v for v in df["Volumes"] if v["Name"] == "kept-data"]
    assert volume["UsageData"] == {"Size": 50000, "RefCount": 1}
    (row,) = [c for c in df["Containers"] if c["Names"] == ["/writer"]]
    assert row["SizeRw"] >= 0 and row["SizeRootFs"] >= row["SizeRw"]
    sized = ph.docker("ps", "-a", "-s", "--filter", "name=writer", "--format", "{{.Size}}").stdout.decode()
    assert "virtual" in sized  # docker ps -s: "0B (virtual 1.98MB)"
    assert any("busybox:latest" in (i["RepoTags"] or []) and i["Containers"] >= 1 for i in df["Images"])
    verbose = ph.docker("system", "df", "-v")
    assert verbose.returncode == 0 and b"kept-data" in verbose.stdout and b"writer" in verbose.stdout
    pruned = ph.docker("system", "prune", "-f")
    assert pruned.returncode == 0, pruned.stderr
    assert b"Deleted Containers:" in pruned.stdout
    assert client.containers.list(all=True, filters={"name": "writer"}) == []
    assert client.volumes.get("kept-data")  # volumes only with --volumes


def test_system_df_lists_containers_newest_first_with_quoted_commands(ph, client):
    for name in ("df-old", "df-mid", "df-new"):
        client.containers.create("busybox", ["sh", "-c", "exit 3"], name=name)
    assert [c["Names"] for c in client.df()["Containers"]] == [["/df-new"], ["/df-mid"], ["/df-old"]]
    verbose = ph.docker("system", "df", "-v", check=True).stdout.decode()
    rows = [line for line in verbose.splitlines() if "df-" in line]
    assert [row.split()[-1] for row in rows] == ["df-new", "df-mid", "df-old"]
    assert all("\"sh -c 'exit 3'\"" in row for row in rows)


def test_events_for_networks_and_volumes(ph, client):
    since = time.time()
    ph.docker("network", "create", "evnet", check=True)
    ph.docker("volume", "create", "evvol", check=True)
    ph.docker("run", "--rm", "--network", "evnet", "-v", "evvol:/data", "--name", "evc", "busybox", "true", check=True)
    ph.docker("network", "rm", "evnet", check=True)
    ph.docker("volume", "rm", "evvol", check=True)
    seen = events(ph, since, "type=network", "network=evnet")
    assert seen == ["network create evnet", "network connect evnet", "network disconnect evnet",
                    "network destroy evnet"]  # fmt: skip
    volume_events = ph.docker("events", "--since", str(since), "--until", str(time.time()), "--filter",
                              "volume=evvol", "--format", "{{.Action}}").stdout.decode().split()  # fmt: skip
    assert volume_events == ["create", "mount", "unmount", "destroy"]


def test_wait_conditions(client):
    container = client.containers.create("busybox", ["sh", "-c", "exit 4"])
    container.start()
    assert container.wait(condition="not-running", timeout=30)["StatusCode"] == 4
    container.start()
    assert container.wait(condition="next-exit", timeout=30)["StatusCode"] == 4
    with pytest.raises(docker.errors.APIError, match="invalid condition"):
        container.wait(condition="sometime", timeout=30)
    auto = client.containers.run("busybox", ["sh", "-c", "sleep 1; exit 5"], detach=True, auto_remove=True)
    assert client.api.wait(auto.id, condition="removed", timeout=30)["StatusCode"] == 5
    with pytest.raises(docker.errors.NotFound):
        auto.reload()


def test_legacy_links_on_the_default_bridge(ph, client):
    db = ["--name", "db", "--hostname", "dbhost", "-e", "SECRET=x", "--expose", "5432"]
    ph.docker("run", "-d", *db, "busybox", "sleep", "300", check=True)
    db_ip = client.api.inspect_container("db")["NetworkSettings"]["IPAddress"]
    script = "env | grep ^PG_ | sort; grep -w dbhost /etc/hosts | sort; ping -c1 -W2 pg > /dev/null && echo reached"
    links = ["--link", "db:pg", "--link", "db"]
    result = ph.docker("run", "--rm", "--name", "app", *links, "busybox", "sh", "-c", script)
    lines = result.stdout.decode().splitlines()
    assert lines == [
        "PG_ENV_SECRET=x",
        "PG_NAME=/app/pg",
        f"PG_PORT=tcp://{db_ip}:5432",
        f"PG_PORT_5432_TCP=tcp://{db_ip}:5432",
        f"PG_PORT_5432_TCP_ADDR={db_ip}",
        "PG_PORT_5432_TCP_PORT=5432",
        "PG_PORT_5432_TCP_PROTO=tcp",
        # one line per link, as moby writes it: the alias, the hostname, the name unless it is the alias
        f"{db_ip}\tdb dbhost",
        f"{db_ip}\tpg dbhost db",
        "reached",
    ]
    ph.docker("create", "--name", "web", "--link", "db:pg", "busybox", "sleep", "300", check=True)
    assert json.loads(ph.docker("inspect", "-f", "{{json .HostConfig.Links}}", "web").stdout) == ["/db:/web/pg"]
    assert ph.docker("rm", "--link", "web/pg").returncode == 0
    assert ph.docker("inspect", "-f", "{{json .HostConfig.Links}}", "web").stdout == b"null\n"
    ph.docker("stop", "db", check=True)
    down = ph.docker("run", "--rm", "--name", "late", "--link", "db:pg", "busybox", "true")
    assert down.returncode == 125 and b"Cannot link to a non running container: /db AS /late/pg" in down.stderr
    missing = ph.docker("create", "--link", "nothing:x", "busybox", "true")
    assert b"could not get container for nothing" in missing.stderr


def test_a_link_on_a_user_network_is_an_alias_for_the_linking_container_only(ph):
    ph.docker("network", "create", "back", check=True)
    ph.docker("run", "-d", "--name", "store", "--network", "back", "busybox", "sleep", "300", check=True)
    ph.docker("run", "-d", "--name", "linked", "--network", "back", "--link", "store:cache", "busybox", "sleep",
              "300", check=True)  # fmt: skip
    ph.docker("run", "-d", "--name", "other", "--network", "back", "busybox", "sleep", "300", check=True)
    assert ph.docker("exec", "linked", "nslookup", "cache", "127.0.0.11").returncode == 0
    assert ph.docker("exec", "other", "nslookup", "cache", "127.0.0.11").returncode != 0
    assert json.loads(ph.docker("inspect", "-f", "{{json .NetworkSettings.Networks.back.Links}}", "linked").stdout) == [
        "store:cache"
    ]
