"""Builds, pushes and pulls: porthole beside a real dockerd (Debian's docker.io, classic builder) doing the same
work in the same run, through the same docker CLI, against the same Debian docker-registry on loopback; and the
physical floor (reading, hashing and writing the context's bytes once).

The 12-step Dockerfile over a 64 MB context of shared/reference/images-and-registries.md: 2,000 files of 8 KB in
20 directories, one 50 MB file, a .dockerignore; RUNs that write 20 MB.

    .venv/bin/python -m bench.bench_build [--runs 3]
"""

import argparse
import hashlib
import http.server
import os
import shutil
import socketserver
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from tests.support.daemon import TestDaemon, busybox_tar, running
from tests.support.dockerd import Dockerd, dockerd_installed
from tests.support.registry import running_registry

DOCKERFILE = """\
FROM busybox
ARG VERSION=1
ENV APP_HOME=/app VERSION=$VERSION
WORKDIR $APP_HOME
COPY src/ ./src/
RUN find src -type f | wc -l > count.txt
RUN dd if=/dev/urandom of=blob bs=1M count=20
RUN i=0; while [ $i -lt 2000 ]; do echo line $i >> lines.txt; i=$((i+1)); done
COPY big.bin /data/big.bin
EXPOSE 8080
LABEL org.example.bench=build
CMD ["sh", "-c", "cat count.txt"]
"""


def make_context(root: Path) -> Path:
    for d in range(20):
        directory = root / "src" / f"d{d:02d}"
        directory.mkdir(parents=True)
        for f in range(100):
            (directory / f"f{f:03d}.txt").write_bytes(os.urandom(8192))
    (root / "big.bin").write_bytes(os.urandom(50 << 20))
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / ".dockerignore").write_text("*.log\n")
    return root


def timed(docker: list[str], *args: str) -> float:
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    started = time.monotonic()
    result = subprocess.run([*docker, *args], capture_output=True, env=env, timeout=600)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: {result.stderr.decode()[-2000:]}")
    return elapsed


def scenario(docker: list[str], context: Path, registry: str, tag: str, runs: int) -> dict[str, list[float]]:
    name = f"{registry}/bench/{tag}:1"
    results: dict[str, list[float]] = {k: [] for k in ("cold", "cached", "one file", "push", "pull")}
    changed = context / "src" / "d00" / "f000.txt"
    for run in range(runs):
        results["cold"].append(timed(docker, "build", "--no-cache", "-t", name, str(context)))
        results["cached"].append(timed(docker, "build", "-t", name, str(context)))
        changed.write_bytes(os.urandom(8192))
        results["one file"].append(timed(docker, "build", "-t", name, str(context)))
        pushed = f"{registry}/bench/{tag}-{run}:1"
        subprocess.run([*docker, "tag", name, pushed], check=True, capture_output=True)
        results["push"].append(timed(docker, "push", pushed))
        subprocess.run([*docker, "rmi", "-f", pushed, name], capture_output=True)
        subprocess.run([*docker, "image", "prune", "-f"], capture_output=True)
        results["pull"].append(timed(docker, "pull", pushed))
        subprocess.run([*docker, "rmi", "-f", pushed], capture_output=True)
    return results


def floor_seconds(context: Path) -> float:
    """Read, hash and write every byte of the context once (what any builder must do at least)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=context.parent) as out:
        for path in context.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                hashlib.sha256(data).digest()
                (Path(out) / hashlib.md5(str(path).encode()).hexdigest()).write_bytes(data)
        os.sync()
    return time.monotonic() - started


class _SinkHandler(http.server.BaseHTTPRequestHandler):
    """Just enough of the Engine API for `docker build`: a ping, and a build that reads the whole context and
    answers at once. What the CLI spends against it is what no daemon can save: tarring and sending the context."""

    protocol_version = "HTTP/1.1"

    def address_string(self) -> str:  # a unix socket has no client address
        return "client"

    def do_HEAD(self):  # noqa: N802 - http.server's name
        self._answer(b"")

    def do_GET(self):  # noqa: N802
        self._answer(b"OK" if self.path.endswith("/_ping") else b"{}", "application/json")

    def do_POST(self):  # noqa: N802
        length = self.headers.get("Content-Length")
        if length is not None:
            self.rfile.read(int(length))
        else:  # chunked
            while size := int(self.rfile.readline().split(b";")[0], 16):
                self.rfile.read(size + 2)
            self.rfile.readline()
        self._answer(b'{"aux":{"ID":"sha256:' + b"0" * 64 + b'"}}\n{"stream":"Successfully built 000000000000\\n"}\n')

    def _answer(self, body: bytes, kind: str = "text/plain") -> None:
        self.send_response(200)
        self.send_header("Api-Version", "1.44")
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args):
        return None


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def client_floor_seconds(context: Path, work: Path) -> float:
    """The docker CLI's own part of a build: tar the context and send it to a server that only reads it."""
    (work / "sink.sock").unlink(missing_ok=True)
    server = _UnixServer(str(work / "sink.sock"), _SinkHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return timed(["docker", "-H", f"unix://{work / 'sink.sock'}"], "build", str(context))
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        context = make_context(work / "context")
        floor = floor_seconds(context)
        client_floor = min(client_floor_seconds(context, work) for _ in range(3))
        rootfs = busybox_tar(work / "busybox.tar")
        with running_registry(work / "registry") as registry:
            with running(TestDaemon(work / "porthole"), rootfs) as ph:
                ours = scenario(["docker", "-H", ph.host], context, registry.address, "porthole", args.runs)
            theirs = None
            if dockerd_installed():
                docker = Dockerd(work / "dockerd", with_bridge=True, insecure_registries=(registry.address,))
                docker.start()
                try:
                    docker.docker("import", str(rootfs), "busybox:latest", check=True)
                    theirs = scenario(["docker", "-H", docker.host], context, registry.address, "docker", args.runs)
                finally:
                    docker.stop()
        print(f"context 64 MB; floor (read + sha256 + write once, synced): {floor:.2f} s")
        print(
            f"client floor (the docker CLI tars and sends the context to a server that reads it): {client_floor:.2f} s"
        )
        print(f"{'':12} {'porthole median (range)':>26} {'docker median (range)':>24} {'ratio':>7}")
        for key, values in ours.items():
            mine = statistics.median(values)
            line = f"{key:12} {mine:8.2f} s ({min(values):.2f}-{max(values):.2f})"
            if theirs:
                other = statistics.median(theirs[key])
                line += f"   {other:8.2f} s ({min(theirs[key]):.2f}-{max(theirs[key]):.2f})   {mine / other:5.2f}x"
            print(line)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
