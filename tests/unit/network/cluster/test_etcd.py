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


def test_tls_files_are_used_whatever_the_environment_says(tmp_path, monkeypatch):
    ca, cert, key = (tmp_path / name for name in ("ca.pem", "cert.pem", "key.pem"))
    for path in (ca, cert, key):
        path.write_text("x")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    config = parse_cluster_config(
        "etcd://10.0.0.1:2379", "eth0:1", [f"kv.cacertfile={ca}", f"kv.certfile={cert}", f"kv.keyfile={key}"]
    )
    member = EtcdClient(config)._clients[0]
    assert member.base_url == "https://10.0.0.1:2379"
    # requests would let the environment replace the CA and add a proxy; this session takes nothing from it
    settings = member.session.merge_environment_settings(member.base_url, {}, None, None, None)
    assert settings["verify"] == str(ca) and settings["proxies"] == {} and settings["cert"] == (str(cert), str(key))
