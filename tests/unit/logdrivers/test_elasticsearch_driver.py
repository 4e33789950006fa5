"""The elasticsearch driver shipping a json-file log into the test server (noida-db, see
test_elasticsearch_server), directly or through FaultProxy: documents, replays, rejections, retries, errors."""

import json
import logging
import time

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from logdrivers.driver import DropCounts
from logdrivers.elasticsearch.client import ElasticsearchError
from logdrivers.elasticsearch.deadletter import DEAD_LETTER_FILE
from logdrivers.elasticsearch.driver import ElasticsearchDriver
from logdrivers.elasticsearch.options import parse_options
from logdrivers.jsonfile.driver import create_json_file
from logdrivers.jsonfile.options import parse_options as json_options
from logdrivers.message import LineBatch, Message, PartialMeta
from logdrivers.metrics import ContainerLogStats, LogDriverCollector, LogStatsSnapshot
from logdrivers.shipping.shipper import Shipper, ShipperConfig
from logdrivers.shipping.state import load_state, state_path
from tests.support.elasticsearch import ElasticsearchServer, FaultProxy, free_port
from tests.support.waiting import wait_for

FAST = ShipperConfig(batch_lines=500, idle_wait_s=0.02, removal_drain_s=1.0)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ElasticsearchServer(tmp_path_factory.mktemp("noida") / "data") as s:
        yield s


@pytest.fixture
def es(server):
    client = server.client()
    yield client
    client.close()


@pytest.fixture
def proxy(server):
    p = FaultProxy(server.port)
    yield p
    p.stop()


@pytest.fixture
def index(request):
    """A data stream of the test's own in the shared server."""
    return "logs-" + request.node.name.replace("_", "").lower()[:40] + "-test"


class Writer:
    """The shim's side: the container's json-file log."""

    def __init__(self, info):
        self.driver = create_json_file(info, json_options({}))

    def lines(self, start, count, source="stdout"):
        data = b"".join(b"line %d\n" % i for i in range(start, start + count))
        self.driver.log_batch(LineBatch(source, time.time_ns(), data))

    def piece(self, text, pid, ordinal, last):
        self.driver.log(Message(text, "stdout", time.time_ns(), PartialMeta(pid, ordinal, last)))


def options(url, index, **extra):
    opts = {"elasticsearch-url": url, "elasticsearch-index": index, "elasticsearch-retry-backoff": "20ms"}
    return parse_options({**opts, **{f"elasticsearch-{k.replace('_', '-')}": v for k, v in extra.items()}})


def start_shipper(info, driver, running):
    shipper = Shipper(
        container_id=info.id,
        container_name=info.name,
        driver_name="elasticsearch",
        driver=driver,
        log_path=info.log_path,
        state_path=state_path(info.log_path),
        still_running=running,
        config=FAST,
    )
    shipper.start()
    return shipper


def ship_all(info, url, index, **extra):
    """Ship the whole log of a stopped container; the shipper's stats and the driver."""
    driver = ElasticsearchDriver(info, options(url, index, **extra))
    shipper = start_shipper(info, driver, lambda: False)
    assert shipper.wait_finished(60)
    return shipper.stats(), driver


def messages(es, index):
    es.indices.refresh(index=index)
    hits = es.search(index=index, size=10_000, sort=[{"@timestamp": "asc"}], query={"match_all": {}})
    return [hit["_source"]["message"] for hit in hits["hits"]["hits"]]


def test_every_line_is_searchable_with_the_ecs_fields_and_types(info, server, es, proxy, index):
    writer = Writer(info)
    writer.lines(0, 3000)
    writer.lines(3000, 2, source="stderr")
    stats, _ = ship_all(info, proxy.url, index)
    assert stats.counters.shipped_lines == 3002 and stats.documents.shipped == 3002
    es.indices.refresh(index=index)
    assert es.count(index=index)["count"] == 3002
    assert es.count(index=index, query={"term": {"container.id": info.id}})["count"] == 3002
    assert es.count(index=index, query={"term": {"log.iostream": "stderr"}})["count"] == 2
    assert es.count(index=index, query={"match": {"message": "2999"}})["count"] == 1
    mapping = es.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    assert mapping["@timestamp"] == {"type": "date_nanos"} and mapping["message"] == {"type": "match_only_text"}
    assert mapping["container"]["properties"]["labels"]["properties"]["com_example_team"]["type"] == "keyword"
    assert mapping["log"]["properties"]["iostream"]["type"] == "keyword"
    hit = es.search(index=index, size=1, sort=[{"@timestamp": "asc"}], query={"match": {"message": "0"}})
    source = hit["hits"]["hits"][0]["_source"]
    assert source["container"]["name"] == "foobar" and source["host"]["name"] == "host1"
    assert len(source["@timestamp"]) == len("2026-11-28T05:37:19.865441125Z")
    # On the wire: what a data stream takes -- create actions only, each with an id and a @timestamp.
    lines = b"".join(proxy.bulk_bodies).splitlines()
    actions, documents = lines[0::2], [json.loads(doc) for doc in lines[1::2]]
    assert {tuple(json.loads(action)) for action in actions} == {("create",)}
    assert all("_id" in json.loads(action)["create"] for action in actions)
    assert all("@timestamp" in doc for doc in documents) and len(documents) == 3002


def test_a_replay_is_answered_409_and_stores_nothing_twice(info, server, es, index):
    Writer(info).lines(0, 1200)
    ship_all(info, server.url, index)
    state_path(info.log_path).unlink()  # as if the daemon died before recording anything: all is sent again
    stats, driver = ship_all(info, server.url, index)
    assert driver.document_counts().duplicate == 1200 and driver.document_counts().shipped == 0
    assert stats.counters.shipped_lines == 1200  # delivered, as far as the shipper knows
    assert messages(es, index) == [f"line {i}" for i in range(1200)]


def test_a_cut_line_waits_for_its_end_and_becomes_one_document(info, server, es, index):
    writer = Writer(info)
    writer.lines(0, 3)
    writer.piece(b"a" * 16384, "p", 1, False)
    running = True
    driver = ElasticsearchDriver(info, options(server.url, index, flush_interval="0"))
    shipper = start_shipper(info, driver, lambda: running)
    try:
        wait_for(lambda: shipper.stats().counters.shipped_lines == 3, 10, what="the three whole lines")
        time.sleep(0.2)  # the shipper goes round with the cut line: it must neither send it nor lose its place
        state = load_state(state_path(info.log_path))
        assert state.position.line == 3  # a restart reads the cut line again
        assert messages(es, index) == ["line 0", "line 1", "line 2"]
        writer.piece(b"b" * 10, "p", 2, True)
        wait_for(lambda: shipper.stats().counters.shipped_lines == 5, 10, what="the joined line")
    finally:
        running = False
        assert shipper.wait_finished(10)
    assert messages(es, index)[3] == "a" * 16384 + "b" * 10


def test_a_line_the_container_never_ended_is_shipped_when_it_stops(info, server, es, index):
    Writer(info).piece(b"prompt> ", "p", 1, False)
    stats, _ = ship_all(info, server.url, index)
    es.indices.refresh(index=index)
    (hit,) = es.search(index=index)["hits"]["hits"]
    assert hit["_source"]["message"] == "prompt> " and hit["_source"]["tags"] == ["partial"]


def test_a_malformed_document_goes_to_the_dead_letter_file_and_is_never_retried(info, server, es, proxy, index):
    es.indices.create(index=index, mappings={"properties": {"message": {"type": "long"}}})
    writer = Writer(info)
    writer.driver.log_batch(LineBatch("stdout", time.time_ns(), b"1\noops\n2\n"))
    stats, driver = ship_all(info, proxy.url, index, install_template="false")
    assert sorted(messages(es, index)) == ["1", "2"]
    (line,) = (info.log_path.parent / DEAD_LETTER_FILE).read_text().splitlines()
    record = json.loads(line)
    assert record["document"]["message"] == "oops" and record["status"] == 400 and record["index"] == index
    assert record["error"]["type"] == "document_parsing_exception" and record["id"]
    assert stats.counters.refused_lines == 1 and driver.document_counts().rejected == 1
    assert proxy.bulk_documents == 3  # sent once, not retried
    assert stats.counters.shipped_lines == 3  # the position moved past it


def test_429_and_5xx_are_retried_until_every_line_is_there_once(info, server, es, proxy, index):
    Writer(info).lines(0, 2000)
    proxy.fail_requests += [503, 502]
    proxy.fail_items += [None] * 10 + [429] * 5 + [None] * 100 + [503]
    stats, driver = ship_all(info, proxy.url, index, batch_size="600")
    assert sorted(messages(es, index)) == sorted(f"line {i}" for i in range(2000))  # the retried came later
    counts = driver.document_counts()
    assert counts.shipped == 2000 and counts.duplicate == 0  # documents taken earlier were not sent again
    assert counts.retried >= 6 and stats.counters.errors >= 3 and not stats.retrying
    assert proxy.bulk_documents == 2000


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("nothing", "cannot connect: [Errno 111] Connection refused"),
        ("wrong password", "authentication failed (401): check elasticsearch-username and elasticsearch-password"),
    ],
)
def test_a_wrong_address_or_credentials_is_reported_and_counted(info, proxy, index, caplog, where, text):
    Writer(info).lines(0, 5)
    proxy.credentials = ("elastic", "right")
    url = f"http://127.0.0.1:{free_port()}" if where == "nothing" else proxy.url
    driver = ElasticsearchDriver(info, options(url, index, username="elastic", password="wrong"))
    with pytest.raises(ElasticsearchError) as caught:
        driver.ship_entries([Message(b"x", "stdout", 0)], [(1, 1, 0, 0)], final=True)
    assert text in str(caught.value) and str(caught.value).startswith(f"logdrivers: elasticsearch {url}")
    with caplog.at_level(logging.WARNING, logger="logdrivers"):
        shipper = start_shipper(info, driver, lambda: True)
        try:
            wait_for(lambda: shipper.stats().counters.errors >= 2, 10, what="failed attempts counted")
            assert shipper.stats().retrying and shipper.stats().lag_bytes > 0
        finally:
            shipper.stop()
    assert any(text in r.getMessage() and "lines wait in the local log" in r.getMessage() for r in caplog.records)


def test_an_ingest_pipeline_runs_and_a_missing_one_holds_shipping(info, server, es, index):
    es.ingest.put_pipeline(id="tag-origin", processors=[{"set": {"field": "origin", "value": "porthole"}}])
    Writer(info).lines(0, 2)
    missing = ElasticsearchDriver(info, options(server.url, index, pipeline="nope"))
    with pytest.raises(ElasticsearchError, match="ingest pipeline nope: not found"):
        missing.ship_entries([Message(b"x", "stdout", 0)], [(1, 1, 0, 0)], final=True)
    ship_all(info, server.url, index, pipeline="tag-origin")
    es.indices.refresh(index=index)
    assert {hit["_source"]["origin"] for hit in es.search(index=index)["hits"]["hits"]} == {"porthole"}


def test_a_young_small_batch_waits_for_the_flush_interval(info, server, index):
    driver = ElasticsearchDriver(info, options(server.url, index, flush_interval="1h", batch_size="3"))
    young = [Message(b"x%d" % i, "stdout", time.time_ns()) for i in range(2)]
    places = [(1, 1, i * 10, i) for i in range(3)]
    assert driver.ship_entries(young, places[:2], final=False).taken == 0
    assert driver.ship_entries(young, places[:2], final=True).taken == 2  # the container stopped
    full = [*young, Message(b"x2", "stdout", time.time_ns())]
    assert driver.ship_entries(full, places, final=False).taken == 3  # batch-size reached
    old = [Message(b"old", "stdout", time.time_ns() - 2 * 3600 * 10**9)]
    assert driver.ship_entries(old, places[:1], final=False).taken == 1


def test_an_existing_template_is_left_as_it_is(info, server, es, index):
    es.indices.put_index_template(name=f"porthole-{index}", index_patterns=[index], data_stream={}, priority=300)
    Writer(info).lines(0, 1)
    ship_all(info, server.url, index)
    (template,) = es.indices.get_index_template(name=f"porthole-{index}")["index_templates"]
    assert template["index_template"]["priority"] == 300


def test_the_document_counters_reach_prometheus(info, server, index):
    Writer(info).lines(0, 7)
    stats, _ = ship_all(info, server.url, index)
    snapshot = LogStatsSnapshot([ContainerLogStats(info.id, "foobar", "elasticsearch", DropCounts(), stats)])
    registry = CollectorRegistry()
    registry.register(LogDriverCollector(lambda: snapshot))
    labels = {"container_id": info.id, "container_name": "foobar", "driver": "elasticsearch"}
    value = registry.get_sample_value
    assert value("porthole_log_documents_total", {**labels, "outcome": "shipped"}) == 7
    assert value("porthole_log_documents_total", {**labels, "outcome": "rejected"}) == 0
    assert value("porthole_log_shipped_lines_total", labels) == 7
    assert b"porthole_log_documents_total" in generate_latest(registry)
