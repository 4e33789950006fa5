"""The daemon's memory while it pulls a ~500 MB image: blobs must stream from the socket through the digest check
into the layer extractor, never be held whole. The goal: resident memory stays under 100 MB.

The image (5 layers of 100 MB of incompressible data in a few files each, gzip) is written as an OCI layout,
copied into Debian's docker-registry on loopback with skopeo, and pulled by porthole through the docker CLI
while the daemon's VmRSS (/proc/<pid>/status; its shims are other processes) is sampled every 20 ms. Beside it,
a real dockerd pulls the same image when one can be started, sampled the same way.

    .venv/bin/python -m bench.bench_pull_memory [--layers 5] [--layer-mb 100]
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
from pathlib import Path

from isal import isal_zlib

from tests.support.daemon import TestDaemon, busybox_tar, running
from tests.support.dockerd import Dockerd, dockerd_installed
from tests.support.registry import running_registry

FILE_MB = 25
SAMPLE_SECONDS = 0.02


def _gzip_layer(path: Path, layer_mb: int, index: int) -> tuple[str, str, int]:
    """A layer of `layer_mb` MB of random files, gzip'd into `path`: (diff_id, digest, size)."""
    tar_hash = hashlib.sha256()
    compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, 31)

    class Sink(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data) -> int:
            tar_hash.update(data)
            out.write(compressor.compress(bytes(data)))
            return len(data)

    with open(path, "wb") as out:
        with tarfile.open(fileobj=Sink(), mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for n in range(layer_mb // FILE_MB):
                info = tarfile.TarInfo(f"layer{index}/file{n}.bin")
                info.size = FILE_MB << 20
                tar.addfile(info, io.BytesIO(os.urandom(info.size)))
        out.write(compressor.flush())
    data_hash = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            data_hash.update(chunk)
    return f"sha256:{tar_hash.hexdigest()}", f"sha256:{data_hash.hexdigest()}", path.stat().st_size


def _blob(layout: Path, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def make_layout(layout: Path, layers: int, layer_mb: int) -> int:
    """An OCI layout tagged `1`; returns the compressed bytes of its layers."""
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    descriptors, diff_ids = [], []
    for index in range(layers):
        staging = layout / f"layer{index}.tar.gz"
        diff_id, digest, size = _gzip_layer(staging, layer_mb, index)
        staging.rename(blobs / digest.removeprefix("sha256:"))
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size})
        diff_ids.append(diff_id)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["true"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"layer {i}"} for i in range(layers)],
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            **_blob(layout, json.dumps(config).encode()),
        },
        "layers": descriptors,
    }
    entry = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        **_blob(layout, json.dumps(manifest).encode()),
        "annotations": {"org.opencontainers.image.ref.name": "1"},
    }
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return sum(d["size"] for d in descriptors)


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def pull_sampled(docker_host: str, pid: int, name: str) -> tuple[float, int, int]:
    """(seconds, RSS before, peak RSS during) of `docker pull name`."""
    before = rss_bytes(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_bytes(pid))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    result = subprocess.run(["docker", "-H", docker_host, "pull", name], capture_output=True, timeout=1200)
    elapsed = time.monotonic() - started
    done.set()
    sampler.join()
    if result.returncode != 0:
        raise SystemExit(f"pull {name}: {result.stderr.decode()[-2000:]}")
    return elapsed, before, peak[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--layer-mb", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-pull-memory-"))
    try:
        compressed = make_layout(work / "layout", args.layers, args.layer_mb)
        with running_registry(work / "registry") as registry:
            name = f"{registry.address}/bench/big:1"
            subprocess.run(
                ["skopeo", "copy", "--dest-tls-verify=false", f"oci:{work / 'layout'}:1", f"docker://{name}"],
                check=True,
                capture_output=True,
            )
            rows = []
            with running(TestDaemon(work / "porthole"), busybox_tar(work / "busybox.tar")) as ph:
                assert ph.process is not None
                rows.append(("porthole", *pull_sampled(ph.host, ph.process.pid, name)))
            if dockerd_installed():
                docker = Dockerd(work / "dockerd", insecure_registries=(registry.address,))
                docker.start()
                try:
                    rows.append(("dockerd", *pull_sampled(docker.host, docker.process.pid, name)))
                finally:
                    docker.stop()
        mb = 1 << 20
        print(
            f"image: {args.layers} layers, {args.layers * args.layer_mb} MB uncompressed, {compressed / mb:.0f} MB gzip"
        )
        for who, seconds, before, peak in rows:
            print(f"{who:9} pull {seconds:6.2f} s   RSS before {before / mb:6.1f} MB   peak {peak / mb:6.1f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
