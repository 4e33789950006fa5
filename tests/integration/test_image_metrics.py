"""Build, pull and push counters on the engine's --metrics-addr, read as Prometheus reads them."""

import io
import json
import os
import tarfile
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.daemon import TestDaemon, running
from tests.support.registry import free_port, running_registry

pytestmark = pytest.mark.root


def samples(address: str) -> dict[tuple[str, tuple], float]:
    text = urllib.request.urlopen(f"http://{address}/metrics", timeout=10).read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_builds_pulls_and_pushes_are_counted(tmp_path, busybox_rootfs):
    address = f"127.0.0.1:{free_port()}"
    with (
        running_registry(tmp_path / "registry") as registry,
        running(TestDaemon(tmp_path / "daemon", extra_args=("--metrics-addr", address)), busybox_rootfs) as ph,
    ):
        context = tmp_path / "context"
        context.mkdir()
        (context / "Dockerfile").write_text("FROM busybox\nRUN echo x > /x\nCMD cat /x\n")
        name = f"{registry.address}/metrics/app:1"
        ph.docker("build", "-q", "-t", name, str(context), check=True, timeout=120)
        ph.docker("build", "-q", "-t", name, str(context), check=True, timeout=120)
        ph.docker("push", name, check=True)
        ph.docker("rmi", name, check=True)
        ph.docker("pull", name, check=True)
        failed = ph.docker("pull", f"{registry.address}/metrics/missing:1")
        assert failed.returncode != 0
        seen = samples(address)
        assert seen[("porthole_build_cache_lookups_total", (("result", "miss"),))] == 2
        assert seen[("porthole_build_cache_lookups_total", (("result", "hit"),))] == 2
        assert seen[("porthole_build_step_duration_seconds_count", (("instruction", "RUN"),))] == 1
        assert seen[("porthole_build_context_bytes_total", ())] > 0
        where = (("direction", "push"), ("registry", registry.address))
        assert seen[("porthole_registry_layer_bytes_total", where)] > 0
        assert seen[("porthole_registry_transfer_duration_seconds_count", where)] == 1
        pulled = (("direction", "pull"), ("registry", registry.address))
        assert seen[("porthole_registry_layer_bytes_total", pulled)] > 0
        assert seen[("porthole_registry_errors_total", pulled)] == 1


def layer_tar(path: Path) -> Path:
    """A one-layer image's root: random bytes (that gzip cannot shrink to nothing) and some text."""
    with tarfile.open(path, "w") as tar:
        for name, data in (("random.bin", os.urandom(300_000)), ("text.txt", b"porthole\n" * 20_000)):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return path


def test_a_push_and_a_pull_of_one_image_count_the_same_wire_bytes(tmp_path, busybox_rootfs):
    address = f"127.0.0.1:{free_port()}"
    with (
        running_registry(tmp_path / "registry") as registry,
        running(TestDaemon(tmp_path / "daemon", extra_args=("--metrics-addr", address)), busybox_rootfs) as ph,
    ):
        name = f"{registry.address}/metrics/one:1"
        ph.docker("import", str(layer_tar(tmp_path / "layer.tar")), name, check=True)
        ph.docker("push", name, check=True)
        request = urllib.request.Request(
            f"http://{registry.address}/v2/metrics/one/manifests/1",
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        )
        manifest = json.loads(urllib.request.urlopen(request, timeout=10).read())
        on_the_wire = sum(layer["size"] for layer in manifest["layers"])
        pushed = samples(address)[
            ("porthole_registry_layer_bytes_total", (("direction", "push"), ("registry", registry.address)))
        ]
        ph.docker("rmi", name, check=True)  # its one layer goes with it: the pull downloads it again
        ph.docker("pull", name, check=True)
        pulled = samples(address)[
            ("porthole_registry_layer_bytes_total", (("direction", "pull"), ("registry", registry.address)))
        ]
        assert pushed == pulled == on_the_wire
