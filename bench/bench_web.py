"""The dashboard with many containers (issue 6): page and API latency, the list's render time in a browser,
the sampler's cost per tick, and the memory of the history store per container. Needs root.

Containers: real `busybox sleep` containers (`--network none`) of a daemon of the bench's own, shown by
`python -m porthole.serve.web` (the production server, waitress) on a free loopback port. Each URL is fetched
--requests times over loopback HTTP; the floor is a static file served by the same server (what any
request costs there). The list's render time is Chromium's (Debian's, headless) navigation to the
overview: from the request to the load event, the 200 rows drawn by the server. The history's memory is
measured with tracemalloc on the production HistoryStore filled with rows as the sampler writes them,
against the floor of 8 bytes per value. Anchors: cAdvisor keeps 2 minutes at 1 s (`--storage_duration`)
and its UI shows the last 60 samples; Docker has no dashboard.

Goals: the list renders in under 1 s with 200 containers; history under 1 MB per container for 15 minutes.

    .venv/bin/python bench/bench_web.py [--containers 200] [--requests 20] [--no-browser]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import orjson  # noqa: E402

from tests.support.daemon import TestDaemon, busybox_tar, wait_for  # noqa: E402
from tests.support.web import chromium, start_web  # noqa: E402
from web.history import HistoryStore  # noqa: E402

RENDER_GOAL_SECONDS = 1.0
HISTORY_GOAL_BYTES = 1_000_000
CADVISOR_STORAGE_SECONDS = 120
_TICKS = os.sysconf("SC_CLK_TCK")


def fetch(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        size = len(response.read())
    return time.perf_counter() - started, size


def latency(url: str, requests: int) -> tuple[float, float, int]:
    """Median and p90 seconds, and the body's size, of `requests` sequential GETs (one warm-up first)."""
    fetch(url)
    times, size = [], 0
    for _ in range(requests):
        seconds, size = fetch(url)
        times.append(seconds)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], size


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def history_bytes_per_container(row: dict[str, float], samples: int, containers: int = 50) -> tuple[float, int]:
    """Bytes the production store allocates per container for `samples` rows (tracemalloc), and the floor:
    the values alone at 8 bytes each (timestamps included)."""
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    store = HistoryStore(capacity=samples)
    for t in range(samples):
        for c in range(containers):
            store.append(f"{c:064x}", float(t), {name: value + t for name, value in row.items()})
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    allocated = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    del store
    return allocated / containers, (len(row) + 1) * 8 * samples


def full_window_cost(row: dict[str, float], samples: int, repeats: int = 20) -> tuple[float, float]:
    """Median milliseconds to read a full ring and encode it as JSON (what GET .../samples does), and KiB."""
    store = HistoryStore(capacity=samples)
    for t in range(samples):
        store.append("c", 1.7e9 + t, {name: value * 1e6 + t for name, value in row.items()})
    times, size = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        window = store.window("c")
        size = len(orjson.dumps({"t": window.t, "columns": window.columns}))
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, size / 1024


def start_containers(daemon: TestDaemon, count: int) -> list[str]:
    client = daemon.client()

    def run(n: int) -> str:
        return client.containers.run(
            "busybox",
            ["sleep", "3600"],
            name=f"bench-web-{n}",
            detach=True,
            network_mode="none",
            labels={"bench": "web", "n": str(n)},
        ).id

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(run, range(count)))
    client.close()
    return ids


def browser_render_seconds(url: str, profile: Path, loads: int = 5) -> float:
    """Median seconds from navigation start to the load event of the overview (rows drawn by the server)."""
    driver = chromium(profile)
    try:
        times = []
        for _ in range(loads + 1):
            driver.get(url)
            wait_for(lambda: driver.execute_script("return document.readyState") == "complete", 30, what="load")
            timing = driver.execute_script(
                "const t = performance.getEntriesByType('navigation')[0]; return [t.loadEventEnd, t.startTime,"
                " document.querySelectorAll('#container-list tbody tr').length]"
            )
            times.append(((timing[0] - timing[1]) / 1000, timing[2]))
        rows = times[-1][1]
        print(f"  (browser saw {rows} rows)")
        return statistics.median(t for t, _ in times[1:])  # the first load also warms the browser's cache
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--containers", type=int, default=200)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as scratch:
        root = Path(scratch)
        daemon = TestDaemon(root / "porthole")
        daemon.start()
        web = None
        try:
            daemon.docker("import", str(busybox_tar(root / "busybox.tar")), "busybox:latest", check=True)
            started = time.perf_counter()
            ids = start_containers(daemon, args.containers)
            print(
                f"{len(ids)} containers (busybox sleep, --network none) started in "
                f"{time.perf_counter() - started:.1f} s"
            )
            started = time.perf_counter()
            web = start_web(daemon.host, root / "web.log")
            pid = web.process.pid

            def all_listed() -> bool:
                return orjson.loads(urllib.request.urlopen(f"{web.url}/api/v1/containers").read())["total"] >= len(ids)

            wait_for(all_listed, 120, what="every container in the dashboard's list")
            print(f"dashboard up with every container listed in {time.perf_counter() - started:.1f} s")
            wait_for(
                lambda: (
                    len(
                        orjson.loads(urllib.request.urlopen(f"{web.url}/api/v1/containers/{ids[0]}/samples").read())[
                            "t"
                        ]
                    )
                    >= 10
                ),
                60,
                what="10 samples",
            )

            floor, _, _ = latency(f"{web.url}/static/css/app.css", args.requests)
            print(
                f"\nlatency over {args.requests} requests (median, p90, body); floor: a static file "
                f"{floor * 1000:.1f} ms"
            )
            for label, path in (
                (f"overview page ({len(ids)} rows)", "/"),
                ("GET /api/v1/containers", "/api/v1/containers"),
                ("  ...?filter=n=7&sort=-cpu", "/api/v1/containers?filter=label:n=7&sort=-cpu"),
                ("container page", f"/containers/{ids[0]}"),
                ("GET .../samples (all)", f"/api/v1/containers/{ids[0]}/samples"),
                ("GET .../samples?since=", f"/api/v1/containers/{ids[0]}/samples?since={time.time() - 1:.3f}"),
                ("GET /api/v1/host", "/api/v1/host"),
            ):
                median, p90, size = latency(web.url + path, args.requests)
                print(
                    f"  {label:30s} {median * 1000:7.1f} ms  {p90 * 1000:7.1f} ms  {size / 1024:7.1f} KiB  "
                    f"{median / floor:5.1f}x floor"
                )

            if not args.no_browser and shutil.which("chromium"):
                render = browser_render_seconds(web.url + "/", root / "chromium")
                verdict = "met" if render < RENDER_GOAL_SECONDS else "NOT met"
                print(
                    f"\nlist render in Chromium (navigation to load event, {args.containers} rows): "
                    f"{render * 1000:.0f} ms; goal < {RENDER_GOAL_SECONDS * 1000:.0f} ms: {verdict}"
                )

            ticks = []
            for _ in range(10):
                host = orjson.loads(urllib.request.urlopen(f"{web.url}/api/v1/host").read())
                ticks.append(host["sampler"]["last_tick_seconds"])
                time.sleep(1)
            cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
            time.sleep(10)
            cpu = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
            print(
                f"\nsampler: one tick reads {args.containers} containers + the host in "
                f"{statistics.median(ticks) * 1000:.0f} ms (median of 10); the idle dashboard uses "
                f"{cpu * 100:.1f} % of a core, RSS {rss_mib(pid):.0f} MiB"
            )
            row = orjson.loads(urllib.request.urlopen(f"{web.url}/api/v1/containers/{ids[0]}").read())["latest"]
            row = dict(row["columns"])
        finally:
            if web is not None:
                web.stop()
            daemon.stop()

    bridged = dict(row) | {
        f"net.eth0.{f}": 1.0
        for f in (
            "rx_bytes",
            "tx_bytes",
            "rx_packets",
            "tx_packets",
            "rx_errors",
            "tx_errors",
            "rx_dropped",
            "tx_dropped",
        )
    }
    print(f"\nhistory store per container (a real row: {len(row)} columns; with eth0: {len(bridged)})")
    for label, sample_row, samples in (
        ("15 min, --network none", row, 900),
        ("15 min, with eth0", bridged, 900),
        ("16 min (the default ring)", bridged, 960),
        ("1 hour, with eth0", bridged, 3600),
    ):
        allocated, floor_bytes = history_bytes_per_container(sample_row, samples)
        goal = ""
        if samples == 900:
            verdict = "met" if allocated < HISTORY_GOAL_BYTES else "NOT met"
            goal = f"; goal < {HISTORY_GOAL_BYTES / 1e6:.0f} MB: {verdict}"
        print(f"  {label:28s} {allocated / 1024:7.1f} KiB  ({allocated / floor_bytes:.2f}x the 8-byte floor){goal}")
    window_ms, window_kib = full_window_cost(bridged, 900)
    print(
        f"  a full 15-minute window read and encoded as GET .../samples does: {window_ms:.1f} ms, "
        f"{window_kib:.0f} KiB of JSON"
    )
    print(
        f"  anchor: cAdvisor keeps {CADVISOR_STORAGE_SECONDS} s per container (--storage_duration), "
        f"we keep {960 / CADVISOR_STORAGE_SECONDS:.0f}x as long"
    )


if __name__ == "__main__":
    main()
