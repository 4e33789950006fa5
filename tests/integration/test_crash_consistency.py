"""Crash consistency, tested as databases test it: a workload of create, start, stop, kill, pause, unpause,
restart, exec, network connect and disconnect, volume create and rm, commit and rmi, and rm, while the daemon is
SIGKILLed at random points (at a crash point between two steps that leave a trace outside its memory,
tests/support/crashinjection.py, or at a random instant), restarted each time, and the invariants of
tests/support/invariants.py checked after every restart; then every container is stopped and removed, nothing
may be left, and the workload goes on with a copy of each (the same options, networks and state). Then the
same with writes failing: the data root, a small tmpfs, filled at random moments and freed again; there the
stop and removal wait for the round when space has returned (a copy cannot be made on a full disk).

A restart is a fork of a process that did the daemon's imports once (tests/support/warmstart.py): they were
most of each round's time.

Deterministic in its choices (a fixed seed: PORTHOLE_CRASH_SEED); the instants are the machine's. CI runs
PORTHOLE_CRASH_ROUNDS (default 150) kill points, and PORTHOLE_CRASH_FULL_DISK_ROUNDS (default 60) on the full
disk; raise them for a longer run."""

import os
import random
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import docker
import pytest
import requests

from tests.support.crashingdaemon import CrashingDaemon
from tests.support.crashinjection import POINTS
from tests.support.daemon import running
from tests.support.fulldisk import fill
from tests.support.invariants import COUNTER, violations
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

SEED = int(os.environ.get("PORTHOLE_CRASH_SEED", "18"))
ROUNDS = int(os.environ.get("PORTHOLE_CRASH_ROUNDS", "150"))
FULL_DISK_ROUNDS = int(os.environ.get("PORTHOLE_CRASH_FULL_DISK_ROUNDS", "60"))
NAMES = ("c0", "c1", "c2", "c3")
VOLUMES = ("v0", "v1")
NETWORK = "crashnet"
CONVERGE_S = 30  # exits seen after a restart are handled on threads of their own
REQUEST_TIMEOUT_S = 20


@dataclass
class Copy:
    """What a container was when it was stopped and removed, to make it again."""

    name: str
    options: dict
    status: str
    connected: bool  # to NETWORK, besides the network it was created on


@dataclass
class Workload:
    """The operations, chosen by a seeded generator; each may fail (a conflict, the daemon dying under it)."""

    rng: random.Random
    client: docker.APIClient
    errors: list[str] = field(default_factory=list)  # 500s that are not a full disk's 507: the daemon's bugs
    options: dict[str, dict] = field(default_factory=dict)  # name -> the options it was created with

    def pick(self, existing: set[str]) -> tuple:
        """An operation on a container that exists (`existing`, kept up to date as it goes), or its creation."""
        name = self.rng.choice(NAMES)
        if name not in existing:
            existing.add(name)
            options = {
                "network": self.rng.choice(("bridge", "bridge", NETWORK)),
                "restart": self.rng.choice(("no", "no", "always", "unless-stopped")),
                "publish": self.rng.random() < 0.3,
                "volume": self.rng.choice((None, *VOLUMES)),
            }
            return "create", name, options
        op = self.rng.choice(
            ("start", "stop", "kill", "pause", "unpause", "restart", "exec", "connect", "disconnect",
             "volume_create", "volume_rm", "commit", "rmi", "rm")
        )  # fmt: skip
        if op == "rm":
            existing.discard(name)
        if op.startswith("volume"):
            return op, self.rng.choice(VOLUMES), None
        return op, name, None

    def run(self, op: str, name: str, options: dict | None) -> None:
        try:
            getattr(self, op)(name, options)
        except docker.errors.APIError as e:
            if e.status_code == 500:
                self.errors.append(f"{op} {name}: {e.explanation}")
        except (requests.ConnectionError, requests.ReadTimeout):
            return  # the daemon died under it: that is the point

    def create(self, name, options) -> None:
        self.make(name, options)
        self.client.start(name)

    def make(self, name, options) -> None:
        self.options[name] = options
        host_config = self.client.create_host_config(
            network_mode=options["network"],
            restart_policy={"Name": options["restart"]},
            port_bindings={80: None} if options["publish"] else None,
            binds={options["volume"]: {"bind": "/data", "mode": "rw"}} if options["volume"] else None,
        )
        self.client.create_container(
            "busybox",
            ["sh", "-c", COUNTER],
            name=name,
            host_config=host_config,
            ports=[80] if options["publish"] else None,
        )

    def copy(self, copy: Copy) -> None:
        self.make(copy.name, copy.options)
        if copy.connected:
            self.client.connect_container_to_network(copy.name, NETWORK)
        if copy.status in ("running", "paused", "restarting"):
            self.client.start(copy.name)
        if copy.status == "paused":
            self.client.pause(copy.name)

    def start(self, name, _) -> None:
        self.client.start(name)

    def stop(self, name, _) -> None:
        self.client.stop(name, timeout=1)

    def kill(self, name, _) -> None:
        self.client.kill(name)

    def pause(self, name, _) -> None:
        self.client.pause(name)

    def unpause(self, name, _) -> None:
        self.client.unpause(name)

    def restart(self, name, _) -> None:
        self.client.restart(name, timeout=1)

    def exec(self, name, _) -> None:
        exec_id = self.client.exec_create(name, ["true"])["Id"]
        self.client.exec_start(exec_id)

    def connect(self, name, _) -> None:
        self.client.connect_container_to_network(name, NETWORK)

    def disconnect(self, name, _) -> None:
        self.client.disconnect_container_from_network(name, NETWORK)

    def volume_create(self, name, _) -> None:
        self.client.create_volume(name)

    def volume_rm(self, name, _) -> None:
        self.client.remove_volume(name)

    def commit(self, name, _) -> None:
        self.client.commit(name, repository=f"crash-{name}")

    def rmi(self, name, _) -> None:
        self.client.remove_image(f"crash-{name}")

    def rm(self, name, _) -> None:
        self.client.remove_container(name, force=True)


def _crash_round(daemon: CrashingDaemon, workload: Workload, rng: random.Random) -> str:
    """One kill point: arm a crash point, run a few operations until the daemon dies of it or, for the rest, at
    a random instant; returns how it died."""
    # Listed before the point is armed: the daemon's own writes (a restart policy's, the upkeep's) can reach an
    # armed point at any moment, and a death under the listing is no round's (CI saw one, connection reset).
    existing = {c["Names"][0].lstrip("/") for c in workload.client.containers(all=True)}
    if rng.random() < 0.4:  # a point of one name: the rare ones (an exec's, a tag's) are reached too
        module, attribute = rng.choice(POINTS)
        daemon.arm(1, only=f"{rng.choice(('before', 'after'))} {module}.{attribute}")
    else:
        daemon.arm(int(2 ** rng.uniform(0, 5.5)))  # 1 to 45, as often 1-3 as 16-45: early and late steps alike
    timed = rng.random() < 0.3
    delay = rng.uniform(0.0, 0.6)
    ops = [workload.pick(existing) for _ in range(rng.randint(1, 4))]
    done = threading.Event()

    def drive() -> None:
        for op in ops:
            if daemon.dead():
                break
            workload.run(*op)
        done.set()

    driver = threading.Thread(target=drive)
    started = time.monotonic()
    driver.start()
    while not done.is_set() and not daemon.dead():
        if timed and time.monotonic() - started >= delay:
            break
        done.wait(0.01)
    how = "crash point" if daemon.dead() else "SIGKILL at a random instant" if timed else "SIGKILL after the operations"
    if not daemon.dead():
        daemon.process.send_signal(signal.SIGKILL)
    daemon.process.wait(timeout=30)
    driver.join(timeout=REQUEST_TIMEOUT_S * 4)
    assert not driver.is_alive(), "an API request hung after the daemon died"
    if rng.random() > 0.1:  # else the crash point stays armed: the next recovery may die of it
        daemon.disarm()
    daemon.restart()
    return how


def _converged(client, daemon: CrashingDaemon, disk_full: bool = False) -> None:
    left: list[str] = []

    def holds() -> bool:
        try:
            left[:] = violations(client, daemon, disk_full=disk_full)
        except requests.ConnectionError as error:  # failed with the daemon's log below, not a bare traceback
            left[:] = [f"the daemon does not answer: {error}"]
        return not left

    try:
        wait_for(holds, CONVERGE_S, interval=0.2, what="the invariants")
    except AssertionError:
        raise AssertionError(f"invariants broken after the restart: {left}\n{daemon.log_tail()}") from None


def _stop_and_remove_everything(workload: Workload, daemon: CrashingDaemon) -> list[Copy]:
    """Every container stopped and removed, and nothing left of them; returns copies of them to make again. The
    containers are stopped and removed side by side, as clients would, on clients of their own."""

    def stop_and_remove(summary: dict) -> Copy:
        client = _client_of(daemon, workload.client)
        name = summary["Names"][0].lstrip("/")
        networks = client.inspect_container(summary["Id"])["NetworkSettings"]["Networks"] or {}
        options = workload.options[name]
        copy = Copy(name, options, summary["State"], NETWORK in networks and options["network"] != NETWORK)
        if summary["State"] in ("running", "paused", "restarting"):
            client.stop(summary["Id"], timeout=1)
        client.remove_container(summary["Id"], force=True)
        return copy

    summaries = workload.client.containers(all=True)
    with ThreadPoolExecutor(max(len(summaries), 1)) as pool:
        copies = list(pool.map(stop_and_remove, summaries))
    assert workload.client.containers(all=True) == []
    _converged(workload.client, daemon)
    return copies


def _make_copies(workload: Workload, daemon: CrashingDaemon, copies: list[Copy]) -> None:
    def make(copy: Copy) -> None:
        replace(workload, client=_client_of(daemon, workload.client)).copy(copy)

    with ThreadPoolExecutor(max(len(copies), 1)) as pool:
        list(pool.map(make, copies))


def _client_of(daemon: CrashingDaemon, like: docker.APIClient) -> docker.APIClient:
    """A client of its own for a thread (its version given: no request to learn it)."""
    return docker.APIClient(base_url=daemon.host, version=like.api_version, timeout=REQUEST_TIMEOUT_S)


def _remove_images(client) -> None:
    for image in client.images(name="crash-*"):
        client.remove_image(image["Id"], force=True)


def _run(daemon: CrashingDaemon, rounds: int, full_disk: bool) -> Counter:
    rng = random.Random(SEED + full_disk)
    client = docker.APIClient(base_url=daemon.host, timeout=REQUEST_TIMEOUT_S)
    workload = Workload(rng, client)
    client.create_network(NETWORK, driver="bridge")
    deaths: Counter = Counter()
    filler = None
    try:
        for _ in range(rounds):
            if full_disk and rng.random() < 0.35:  # the disk fills, or space returns, at random moments
                if filler is None:
                    filler = fill(daemon.data_root)
                else:
                    filler.unlink()
                    filler = None
            deaths[_crash_round(daemon, workload, rng) + (" on a full disk" if filler else "")] += 1
            client = workload.client = _client_of(daemon, client)
            _converged(client, daemon, disk_full=filler is not None)
            if filler is None:
                _make_copies(workload, daemon, _stop_and_remove_everything(workload, daemon))
    finally:
        if filler is not None:
            filler.unlink()
    _converged(client, daemon)
    _stop_and_remove_everything(workload, daemon)
    _remove_images(client)
    _converged(client, daemon)  # the commits' layers gone with their images
    assert workload.errors == []
    crashes = daemon.crashes().most_common()
    print(f"\n{sum(deaths.values())} kill points: {dict(deaths)}\ncrash points reached: {dict(crashes)}")
    return deaths


def test_a_daemon_killed_at_any_point_comes_back_agreeing_with_the_kernel(tmp_path_factory, busybox_rootfs):
    daemon = CrashingDaemon(tmp_path_factory.mktemp("porthole"))
    with running(daemon, busybox_rootfs):
        deaths = _run(daemon, ROUNDS, full_disk=False)
    assert sum(deaths.values()) >= ROUNDS
    assert deaths["crash point"] > ROUNDS // 4


def test_the_same_with_writes_failing_on_a_full_disk(tmp_path_factory, busybox_rootfs):
    daemon = CrashingDaemon(tmp_path_factory.mktemp("porthole"), data_root_size="48m")
    with running(daemon, busybox_rootfs):
        deaths = _run(daemon, FULL_DISK_ROUNDS, full_disk=True)
    on_full_disk = sum(n for how, n in deaths.items() if how.endswith("on a full disk"))
    assert FULL_DISK_ROUNDS // 4 <= on_full_disk <= FULL_DISK_ROUNDS * 3 // 4
