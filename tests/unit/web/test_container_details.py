from tests.unit.exporter.fakes import inspect_json
from web.container_details import MASK, configuration_rows, cpu_limit_cores, limits_rows


def test_limits_of_an_unlimited_container():
    rows = dict(limits_rows(inspect_json("a" * 64, "web")))
    assert rows["Memory limit"] == "unlimited"
    assert rows["CPUs"] == "unlimited"
    assert rows["Pids limit"] == "unlimited"
    assert rows["Cpuset CPUs"] == "all"


def test_limits_as_configured():
    hc = {
        "Memory": 256 * 1024**2,
        "MemorySwap": -1,
        "CpuShares": 512,
        "CpuQuota": 50_000,
        "CpuPeriod": 100_000,
        "CpusetCpus": "0-1",
        "PidsLimit": 64,
        "BlkioWeight": 300,
        "BlkioDeviceReadBps": [{"Path": "/dev/sda", "Rate": 1048576}],
        "BlkioDeviceWriteIOps": [{"Path": "/dev/sda", "Rate": 100}],
    }
    rows = dict(limits_rows(inspect_json("a" * 64, "web", host_config=hc)))
    assert rows["Memory limit"] == "256.0 MiB"
    assert rows["Memory + swap limit"] == "unlimited"
    assert rows["CPU shares"] == "512"
    assert rows["CPUs"] == "0.5"
    assert rows["CPU quota / period"] == "50000 µs / 100000 µs"
    assert rows["Cpuset CPUs"] == "0-1"
    assert rows["Pids limit"] == "64"
    assert rows["Block I/O weight"] == "300"
    assert rows["Read limit /dev/sda"] == "1.0 MiB/s"
    assert rows["Write ops limit /dev/sda"] == "100 ops/s"


def test_cpu_limit_prefers_cpus_over_quota():
    assert cpu_limit_cores({"NanoCpus": 1_500_000_000, "CpuQuota": 10_000}) == 1.5
    assert cpu_limit_cores({"CpuQuota": 200_000, "CpuPeriod": 100_000}) == 2.0
    assert cpu_limit_cores({}) is None


def test_environment_values_are_masked_unless_revealed():
    info = inspect_json("a" * 64, "web", env=["PATH=/bin", "PASSWORD=hunter2", "EMPTY="])
    masked = [value for label, value in configuration_rows(info, reveal_env=False) if label == "Env"]
    assert masked == [f"PATH={MASK}", f"PASSWORD={MASK}", f"EMPTY={MASK}"]
    shown = [value for label, value in configuration_rows(info, reveal_env=True) if label == "Env"]
    assert shown == ["PATH=/bin", "PASSWORD=hunter2", "EMPTY="]


def test_configuration_rows():
    info = inspect_json("a" * 64, "web", labels={"tier": "front"})
    info["HostConfig"]["RestartPolicy"] = {"Name": "on-failure", "MaximumRetryCount": 3}
    info["HostConfig"]["LogConfig"] = {"Type": "json-file", "Config": {"max-size": "10m"}}
    info["Mounts"] = [{"Type": "volume", "Name": "data", "Destination": "/data", "RW": False}]
    info["NetworkSettings"]["Ports"] = {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8081"}], "443/tcp": None}
    rows = configuration_rows(info, reveal_env=False)
    values = dict(rows)
    assert values["Command"] == "sh -c 'echo hi'"
    assert values["Restart policy"] == "on-failure (at most 3 retries)"
    assert values["Log driver"] == "json-file (max-size=10m)"
    assert values["Mount"] == "volume data → /data (ro)"
    assert [v for label, v in rows if label == "Port"] == ["443/tcp (not published)", "80/tcp → 127.0.0.1:8081"]
    assert values["Network"] == "bridge: 10.0.0.2/24"
    assert values["Label"] == "tier=front"
