import json
from pathlib import Path

import pytest

from logdrivers.driver import LogDriver
from logdrivers.info import ContainerInfo
from logdrivers.registry import builtin_registry
from logdrivers.shimwriter import open_writer, writer_plan

CONTAINER_ID = "5790672ab6a0" + "1" * 52
IMAGE_ID = "sha256:" + "9e0a2c3f1b2d" + "2" * 52


def make_info(log_path: Path, **changes) -> ContainerInfo:
    fields = dict(
        id=CONTAINER_ID,
        name="/foobar",
        image_id=IMAGE_ID,
        image_name="hello-world",
        entrypoint="/hello",
        args=("-v", "x"),
        created="2026-11-28T01:31:01.301226849Z",
        log_path=log_path,
        env=("A=1", "PATH=/bin", "A=2", "NOEQUALS"),
        labels={"com.example.team": "web", "tier": "front", "tag": "from-label"},
        hostname="host1",
    )
    fields.update(changes)
    return ContainerInfo(**fields)


@pytest.fixture
def info(tmp_path: Path) -> ContainerInfo:
    return make_info(tmp_path / f"{CONTAINER_ID}-json.log")


def shim_writer(name: str, opts: dict[str, str], info: ContainerInfo) -> LogDriver:
    """The writer a shim opens for a container logging to `name`: planned from the configuration the daemon's
    registry parsed, through JSON as the spec file carries it."""
    plan = writer_plan(builtin_registry().validate(name, opts), info)
    return open_writer(json.loads(json.dumps(plan)))
