"""tests/support/elasticsearch.py's server behaves as Elasticsearch on the points the driver relies on."""

import os

import pytest
from elasticsearch import helpers

from tests.support.elasticsearch import PRODUCT_HEADER, ElasticsearchServer


@pytest.fixture(scope="module")
def elasticsearch_server(tmp_path_factory):
    with ElasticsearchServer(tmp_path_factory.mktemp("noida") / "data") as server:
        yield server


def test_it_answers_the_official_8x_client_as_elasticsearch(elasticsearch_server):
    es = elasticsearch_server.client()
    info = es.info()  # the client checks the product header and sends compatible-with=8
    assert info.meta.headers[PRODUCT_HEADER] == "Elasticsearch"
    assert info["version"]["number"].startswith("8.")


def test_create_answers_409_for_an_existing_id_and_400_for_a_malformed_document(elasticsearch_server):
    es = elasticsearch_server.client()
    es.indices.create(index="server-check", mappings={"properties": {"n": {"type": "long"}}})
    actions = [
        {"_op_type": "create", "_index": "server-check", "_id": "a", "_source": {"n": 1}},
        {"_op_type": "create", "_index": "server-check", "_id": "a", "_source": {"n": 2}},
        {"_op_type": "create", "_index": "server-check", "_id": "b", "_source": {"n": "not a number"}},
    ]
    statuses = [item["create"]["status"] for _, item in helpers.streaming_bulk(es, actions, raise_on_error=False)]
    assert statuses == [201, 409, 400]


def test_acknowledged_documents_survive_a_clean_restart(tmp_path):
    server = ElasticsearchServer(tmp_path / "data")
    server.start()
    try:
        es = server.client()
        es.index(index="kept", id="1", document={"x": 1}, refresh=True)
        server.stop()
        server.start()
        assert server.client().count(index="kept")["count"] == 1
    finally:
        server.stop()
    assert not os.path.exists(tmp_path / "data" / "noida.control.json")  # no server left behind
