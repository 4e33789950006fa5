"""A dashboard over a fake engine and an empty cgroup and /proc tree: pages and API without a daemon."""

import pytest

from tests.unit.exporter.fakes import inspect_json
from tests.unit.web.fakes import FakeEngine
from web import create_app
from web.state import build_state

WEB_ID = "a1" * 32
DB_ID = "b2" * 32
OLD_ID = "c3" * 32


@pytest.fixture
def engine():
    return FakeEngine(
        [
            inspect_json(WEB_ID, "web", image="nginx:1.25", labels={"tier": "front"}, pid=100),
            inspect_json(
                DB_ID,
                "db",
                image="postgres:16",
                labels={"tier": "back"},
                pid=200,
                host_config={"Memory": 512 * 1024 * 1024, "NanoCpus": 1_500_000_000},
            ),
            inspect_json(OLD_ID, "old", state="exited", restart_count=2),
        ]
    )


@pytest.fixture
def state(engine, tmp_path):
    (tmp_path / "cgroup").mkdir()
    (tmp_path / "proc").mkdir()
    s = build_state(
        engine, "unix:///fake.sock", controls=engine, cgroup_root=tmp_path / "cgroup", proc_root=tmp_path / "proc"
    )
    s.watcher.refresh()
    return s


def make_app(state, **config):
    return create_app({"STATE": state, "TESTING": True, **config})


@pytest.fixture
def app(state):
    return make_app(state)


@pytest.fixture
def http(app):
    return app.test_client()
