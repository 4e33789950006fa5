"""A third-party log driver: an installed distribution in a directory of its own, found by its
porthole.logdrivers entry point in a daemon whose PYTHONPATH holds it, and used with `--log-driver`."""

import signal

import docker
import pytest

from tests.support.daemon import TestDaemon, running, wait_for

pytestmark = pytest.mark.root

PLUGIN = '''
"""porthole-testfile: writes "<source> <line>" per message to the file named by the path option."""
from dataclasses import dataclass

from logdrivers.errors import InvalidLogOpt, UnknownLogOpt
from logdrivers.spec import DriverSpec


@dataclass(frozen=True)
class Options:
    path: str


def parse_options(opts):
    for key in opts:
        if key != "path":
            raise UnknownLogOpt(key, "testfile")
    if not opts.get("path", "").startswith("/"):
        raise InvalidLogOpt("path", "testfile", "must be an absolute path")
    return Options(opts["path"])


class TestFileDriver:
    name = "testfile"

    def __init__(self, info, options):
        self._file = open(options.path, "ab")
        self._prefix = info.name.encode()

    def log(self, msg):
        self._file.write(self._prefix + b" " + msg.source.encode() + b" " + msg.line + b"\\n")
        self._file.flush()

    def close(self):
        self._file.close()


SPEC = DriverSpec("testfile", parse_options, TestFileDriver)
'''


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """The installed form of a distribution, as pip lays it out: the module and its .dist-info (METADATA,
    entry_points.txt, RECORD). Written directly: the dev venv has no wheel builder and no index to fetch one."""
    site = tmp_path_factory.mktemp("plugin-site")
    (site / "porthole_testfile.py").write_text(PLUGIN)
    dist_info = site / "porthole_testfile-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: porthole-testfile\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[porthole.logdrivers]\ntestfile = porthole_testfile:SPEC\n")
    (dist_info / "RECORD").write_text("".join(f"{p.relative_to(site)},,\n" for p in site.rglob("*") if p.is_file()))
    return site


@pytest.fixture(scope="module")
def plugin_daemon(tmp_path_factory, busybox_rootfs, plugin_site):
    daemon = TestDaemon(tmp_path_factory.mktemp("porthole-plugin"), env={"PYTHONPATH": str(plugin_site)})
    with running(daemon, busybox_rootfs) as d:
        yield d


def test_a_pip_installed_driver_is_used_with_log_driver(plugin_daemon, tmp_path):
    out = tmp_path / "plugin.log"
    result = plugin_daemon.docker(
        "run",
        "--name",
        "plugged",
        "--log-driver",
        "testfile",
        "--log-opt",
        f"path={out}",
        "busybox",
        "sh",
        "-c",
        "echo one; echo two >&2; echo three",
    )
    assert result.returncode == 0
    wait_for(lambda: out.exists() and out.read_bytes().count(b"\n") == 3, 20, what="three lines in the plugin's file")
    lines = sorted(out.read_bytes().splitlines())
    assert lines == [b"/plugged stderr two", b"/plugged stdout one", b"/plugged stdout three"]
    logs = plugin_daemon.docker("logs", "plugged", check=True)  # from the local cache, as for any remote driver
    assert (logs.stdout, logs.stderr) == (b"one\nthree\n", b"two\n")
    plugin_daemon.remove_everything()


def test_the_plugins_own_validation_answers_at_create(plugin_daemon):
    result = plugin_daemon.docker("create", "--log-driver", "testfile", "--log-opt", "path=relative", "busybox")
    assert result.returncode != 0
    assert "log opt 'path' for testfile log driver: must be an absolute path" in result.stderr.decode()
    result = plugin_daemon.docker("create", "--log-driver", "testfile", "--log-opt", "colour=red", "busybox")
    assert "unknown log opt 'colour' for testfile log driver" in result.stderr.decode()


def test_a_container_whose_plugin_was_uninstalled_answers_as_docker_does(plugin_daemon, plugin_site, tmp_path):
    """Docker answers 500 "failed to get logging factory: logger: no log driver named ..." for `logs` and
    `start` of a container whose logging plugin is gone; the container is still listed and can be removed."""
    out = tmp_path / "orphan.log"
    plugin_daemon.docker(
        "run", "--name", "orphan", "--log-driver", "testfile", "--log-opt", f"path={out}", "busybox", "echo", "hi",
        check=True,
    )  # fmt: skip
    wait_for(
        lambda: out.exists() and out.read_bytes().endswith(b"stdout hi\n"), 20, what="the line in the plugin's file"
    )
    plugin_daemon.kill(signal.SIGTERM)
    plugin_daemon.env = {}  # the plugin's distribution is not on the daemon's path any more
    try:
        plugin_daemon.start()
        expected = "failed to get logging factory: logger: no log driver named 'testfile' is registered"
        client = plugin_daemon.client()
        with pytest.raises(docker.errors.APIError) as caught:
            client.api.logs("orphan")
        assert caught.value.status_code == 500 and expected in caught.value.explanation
        with pytest.raises(docker.errors.APIError) as caught:
            client.api.start("orphan")
        assert caught.value.status_code == 500 and expected in caught.value.explanation
        logs = plugin_daemon.docker("logs", "orphan")
        assert logs.returncode == 1 and expected in logs.stderr.decode()
        assert "orphan" in plugin_daemon.docker("ps", "-a", "--format", "{{.Names}}", check=True).stdout.decode()
        plugin_daemon.docker("rm", "orphan", check=True)
        client.close()
    finally:
        plugin_daemon.kill(signal.SIGTERM)
        plugin_daemon.env = {"PYTHONPATH": str(plugin_site)}
        plugin_daemon.start()
