"""The health log written after each probe (health.json, held open, no fsync) and read back by a restarted daemon's
store, with state.json's health as the fallback when the log was lost or torn."""

from runtime.engine.model import HEALTHY, Container, Health, HealthResult
from runtime.engine.store import HEALTH_FILE, ContainerStore


def _container() -> Container:
    return Container(
        id="c" * 64, name="probed", created="", image_ref="busybox", image_id="", config={}, host_config={},
        networking_config={}, mounts=[], path="sh", args=[], layers=[],
    )  # fmt: skip


def _stored(tmp_path, output: str = "first") -> tuple[ContainerStore, Container]:
    """A store holding a healthy container, its state.json with one result (as written at the change to healthy)."""
    store, container = ContainerStore(tmp_path), _container()
    container.state.health = Health(HEALTHY, 0, [HealthResult(1, 2, 0, output)])
    store.add(container)
    return store, container


def _health_after_restart(tmp_path) -> Health | None:
    return ContainerStore(tmp_path).get("probed").state.health


def test_a_restarted_store_reads_the_log_of_the_last_probe(tmp_path):
    store, container = _stored(tmp_path)
    container.state.health.record(HealthResult(3, 4, 0, "second"))
    health_log = store.open_health_log(container)
    health_log.write(container)
    health_log.close()
    assert _health_after_restart(tmp_path) == container.state.health


def test_a_torn_log_falls_back_to_the_states(tmp_path):
    store, container = _stored(tmp_path)
    (store.directory(container.id) / HEALTH_FILE).write_bytes(b'{"status": "heal')  # a power loss mid-way
    assert _health_after_restart(tmp_path) == Health(HEALTHY, 0, [HealthResult(1, 2, 0, "first")])


def test_logs_shorter_and_longer_than_the_last_read_back_whole_while_the_file_is_held_open(tmp_path):
    store, container = _stored(tmp_path, "x" * 3000)
    health_log = store.open_health_log(container)
    try:
        for result in (HealthResult(3, 4, 0, "short"), HealthResult(5, 6, 0, "y" * 5000), HealthResult(7, 8, 1, "")):
            container.state.health = Health(HEALTHY, 0, [result])
            health_log.write(container)
            assert _health_after_restart(tmp_path) == container.state.health
    finally:
        health_log.close()


def test_a_write_after_close_is_nothing(tmp_path):
    store, container = _stored(tmp_path)
    health_log = store.open_health_log(container)
    health_log.write(container)
    health_log.close()
    container.state.health.record(HealthResult(3, 4, 0, "late"))
    health_log.write(container)  # a retry of runtime.engine.deferred that came after the probing stopped
    assert _health_after_restart(tmp_path) == Health(HEALTHY, 0, [HealthResult(1, 2, 0, "first")])
