"""The JSON gateway's watch messages as etcd 3.4 writes them (proto3 JSON: PUT, the enum's zero, is left out)."""

import pytest

from runtime.network.cluster.config import parse_cluster_config
from runtime.network.cluster.etcd import Compacted, EtcdClient, Event, StoreUnavailable, b64, prefix_end


def client() -> EtcdClient:
    return EtcdClient(parse_cluster_config("etcd://127.0.0.1:1", "lo:1"))


def test_a_batch_of_puts_and_deletes():
    message = {
        "result": {
            "header": {"revision": "9"},
            "events": [
                {"kv": {"key": b64("/a"), "value": b64("1"), "mod_revision": "8"}},
                {"type": "DELETE", "kv": {"key": b64("/b"), "mod_revision": "9"}},
            ],
        }
    }
    assert client()._batch(message) == [Event("/a", "1", 8), Event("/b", None, 9)]


def test_the_created_message_is_an_empty_batch():
    assert client()._batch({"result": {"header": {"revision": "3"}, "created": True}}) == []


def test_compaction_and_cancellation_and_errors_end_the_stream():
    with pytest.raises(Compacted):
        client()._batch({"result": {"compact_revision": "5", "canceled": True}})
    with pytest.raises(StoreUnavailable, match="watch canceled"):
        client()._batch({"result": {"canceled": True, "cancel_reason": "gone"}})
    with pytest.raises(StoreUnavailable, match="etcd://127.0.0.1:1"):
        client()._batch({"error": {"message": "leader changed"}})


def test_an_unreachable_store_is_named_in_the_error():
    with pytest.raises(StoreUnavailable, match=r"cluster store etcd://127.0.0.1:1: unreachable"):
        client().get("/x")


def test_a_prefix_range_ends_after_its_last_key():
    assert prefix_end("/porthole/v1/") == "/porthole/v10"
