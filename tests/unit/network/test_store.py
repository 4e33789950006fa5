"""The network room's records, saved and loaded."""

from runtime.network.records import NetworkRecord
from runtime.network.store import NetworkStore
from tests.support.networkrecords import NET, RUNNING


def test_container_records_round_trip_through_the_store(tmp_path):
    store = NetworkStore(tmp_path)
    store.save_container(RUNNING)
    store.save_network(NET)
    assert store.load_containers() == [RUNNING]
    assert store.load_networks() == [NET]


def test_a_network_saved_before_the_gateway_flag_keeps_showing_its_gateway():
    saved = NET.to_json()
    del saved["gateway_given"]
    assert NetworkRecord.from_json(saved).gateway_given is True
