"""The network room's records, saved and loaded."""

from runtime.network.store import NetworkStore
from tests.support.networkrecords import NET, RUNNING


def test_container_records_round_trip_through_the_store(tmp_path):
    store = NetworkStore(tmp_path)
    store.save_container(RUNNING)
    store.save_network(NET)
    assert store.load_containers() == [RUNNING]
    assert store.load_networks() == [NET]
