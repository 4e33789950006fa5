"""The hardening probe (probe.c beside this file), built static once per session so that it runs in any
container, busybox's included, bind-mounted read-only at /probe."""

import subprocess
from pathlib import Path

SOURCE = Path(__file__).with_name("probe.c")
IN_CONTAINER = "/probe"


def build_probe(directory: Path) -> Path:
    binary = directory / "probe"
    if not binary.exists():
        subprocess.run(["gcc", "-static", "-O2", "-o", str(binary), str(SOURCE)], check=True, capture_output=True)
    return binary


def probe_mount(binary: Path) -> tuple[str, str]:
    """The `docker run` flags that put the probe in a container."""
    return "-v", f"{binary}:{IN_CONTAINER}:ro"
