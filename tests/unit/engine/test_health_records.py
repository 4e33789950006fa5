"""The health log written after each probe (health.json, no fsync) and read back by a restarted daemon's store,
with state.json's health as the fallback when the log was lost or torn."""

from runtime.engine.model import HEALTHY, Container, Health, HealthResult
from runtime.engine.store import HEALTH_FILE, ContainerStore


def _container() -> Container:
    return Container(
        id="c" * 64, name="probed", created="", image_ref="busybox", image_id="", config={}, host_config={},
        networking_config={}, mounts=[], path="sh", args=[], layers=[],
    )  # fmt: skip


def test_a_restarted_store_reads_the_log_of_the_last_probe(tmp_path):
    store, container = ContainerStore(tmp_path), _container()
    container.state.health = Health(HEALTHY, 0, [HealthResult(1, 2, 0, "first")])
    store.add(container)  # state.json, as at the change to healthy
    container.state.health.record(HealthResult(3, 4, 0, "second"))
    store.save_health(container)
    assert ContainerStore(tmp_path).get("probed").state.health == container.state.health


def test_a_torn_log_falls_back_to_the_states(tmp_path):
    store, container = ContainerStore(tmp_path), _container()
    container.state.health = Health(HEALTHY, 0, [HealthResult(1, 2, 0, "first")])
    store.add(container)
    (store.directory(container.id) / HEALTH_FILE).write_bytes(b'{"status": "heal')  # a power loss mid-way
    assert ContainerStore(tmp_path).get("probed").state.health == Health(HEALTHY, 0, [HealthResult(1, 2, 0, "first")])


def test_a_shorter_log_written_over_a_longer_one_reads_back_whole(tmp_path):
    store, container = ContainerStore(tmp_path), _container()
    container.state.health = Health(HEALTHY, 0, [HealthResult(1, 2, 0, "x" * 3000)])
    store.add(container)
    store.save_health(container)
    container.state.health = Health(HEALTHY, 0, [HealthResult(3, 4, 0, "short")])
    store.save_health(container)
    assert ContainerStore(tmp_path).get("probed").state.health == Health(HEALTHY, 0, [HealthResult(3, 4, 0, "short")])
