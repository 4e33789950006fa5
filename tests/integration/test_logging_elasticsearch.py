"""The elasticsearch driver end to end: containers run by the real docker CLI ship their logs into an
Elasticsearch-API server on 127.0.0.1 (noida-db: see tests/unit/logdrivers/test_elasticsearch_server.py for
what it is and is not), through a server outage and a daemon killed with SIGKILL.

The daemon of this module has elasticsearch as its default driver with daemon-wide options
(`porthole daemon --log-driver elasticsearch --log-opt elasticsearch-url=...`), as a site shipping every
container's logs to ELK would run it. The issue's full sizes (100,000 lines, a 30 s outage) are parameters:
  PORTHOLE_TEST_ES_LINES=100000 PORTHOLE_TEST_OUTAGE_S=30 \
      .venv/bin/pytest tests/integration/test_logging_elasticsearch.py
"""

import json
import os
import signal
import time
import urllib.request

import pytest
from elasticsearch import NotFoundError, helpers
from prometheus_client.parser import text_string_to_metric_families

from tests.support import daemon as test_daemon
from tests.support.elasticsearch import ElasticsearchServer, FaultProxy, free_port
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root
LINES = int(os.environ.get("PORTHOLE_TEST_ES_LINES", "20000"))
OUTAGE_S = float(os.environ.get("PORTHOLE_TEST_OUTAGE_S", "3"))
# noida-db takes about 4,000 ECS documents/s into an empty index here, and slows as its data grows.
DEADLINE_S = 60 + LINES / 500
INDEX = "logs-porthole-default"
DEAD_LETTER = "elasticsearch-dead-letter.ndjson"


@pytest.fixture(scope="module")
def es_server(tmp_path_factory):
    with ElasticsearchServer(tmp_path_factory.mktemp("noida") / "data") as server:
        yield server


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, busybox_rootfs, es_server):
    """This module's daemon: elasticsearch by default, daemon-wide options, metrics on a free port."""
    d = test_daemon.TestDaemon(tmp_path_factory.mktemp("porthole"))
    d.metrics_port = free_port()
    d.extra_args = (
        "--metrics-addr", f"127.0.0.1:{d.metrics_port}",
        "--log-driver", "elasticsearch",
        "--log-opt", f"elasticsearch-url={es_server.url}",
        "--log-opt", "elasticsearch-retry-backoff=100ms",
        "--log-opt", "elasticsearch-retry-max-backoff=1s",
        "--log-opt", "elasticsearch-flush-interval=200ms",
    )  # fmt: skip
    with test_daemon.running(d, busybox_rootfs):
        yield d


@pytest.fixture
def es(es_server):
    """A client; the default data stream is emptied after the test, so the server's data stays small."""
    client = es_server.client()
    try:
        yield client
    finally:
        client.indices.delete(index=INDEX, ignore_unavailable=True)
        client.close()


def run(ph, *args):
    return ph.docker("run", *args, check=True).stdout.decode().strip()


def numbered(first, last):
    """A shell command printing "line <n>" for n in first..last, fast even for 100,000 lines."""
    return f"seq {first} {last} | sed 's/^/line /'"


def stored(es, cid, index=INDEX):
    """The container's messages stored in Elasticsearch (all of them, duplicates included)."""
    es.indices.refresh(index=index)
    query = {"query": {"term": {"container.id": cid}}}
    return [hit["_source"]["message"] for hit in helpers.scan(es, index=index, query=query, size=5000)]


def count(es, cid, index=INDEX):
    try:
        es.indices.refresh(index=index)
        return es.count(index=index, query={"term": {"container.id": cid}})["count"]
    except NotFoundError:
        return 0  # nothing shipped yet: the data stream is made by the first write


def metric(ph, name, **labels):
    text = urllib.request.urlopen(f"http://127.0.0.1:{ph.metrics_port}/metrics", timeout=10).read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def test_every_line_is_searchable_with_the_ecs_fields_and_logs_reads_the_local_file(ph, es):
    cid = run(ph, "-d", "--name", "web", "--label", "com.example.tier=front", "busybox", "sh", "-c",
              f"{numbered(1, LINES)}; echo oops >&2")  # fmt: skip
    wait_for(lambda: count(es, cid) == LINES + 1, DEADLINE_S, 1, f"{LINES + 1} documents")
    messages = stored(es, cid)
    assert sorted(messages) == sorted([f"line {i}" for i in range(1, LINES + 1)] + ["oops"])
    hit = es.search(
        index=INDEX, query={"bool": {"filter": [{"term": {"container.id": cid}}, {"match": {"message": "oops"}}]}}
    )
    source = hit["hits"]["hits"][0]["_source"]
    assert source["log"] == {"iostream": "stderr"} and source["ecs"] == {"version": "8.11.0"}
    assert source["container"]["name"] == "web" and source["container"]["image"] == {"name": "busybox"}
    assert source["container"]["labels"] == {"com_example_tier": "front"} and source["host"]["name"]
    inspect = ph.client().api.inspect_container(cid)
    assert source["@timestamp"][:19] >= inspect["State"]["StartedAt"][:19] and source["@timestamp"].endswith("Z")
    assert len(source["@timestamp"]) == 30  # nanoseconds kept
    mapping = es.indices.get_mapping(index=INDEX)[INDEX]["mappings"]["properties"]
    assert mapping["@timestamp"]["type"] == "date_nanos" and mapping["message"]["type"] == "match_only_text"
    assert mapping["container"]["properties"]["id"]["type"] == "keyword"
    assert inspect["HostConfig"]["LogConfig"]["Type"] == "elasticsearch"  # the daemon's default
    logs = ph.docker("logs", cid, check=True)
    assert logs.stdout.count(b"\n") == LINES and logs.stderr == b"oops\n"
    labels = {"container_id": cid, "driver": "elasticsearch"}
    assert metric(ph, "porthole_log_documents_total", outcome="shipped", **labels) == LINES + 1
    assert metric(ph, "porthole_log_shipping_lag_bytes", **labels) == 0


def test_a_server_outage_in_the_middle_delays_lines_and_stores_each_once(ph, es, es_server):
    half = LINES // 2
    gate = "until [ -e /tmp/go ]; do sleep 0.05; done"
    cid = run(ph, "-d", "busybox", "sh", "-c", f"{numbered(1, half)}; {gate}; {numbered(half + 1, LINES)}")
    wait_for(lambda: count(es, cid) == half, DEADLINE_S, 1, "the first half shipped")
    es_server.stop()
    try:
        ph.docker("exec", cid, "touch", "/tmp/go", check=True)
        ph.docker("wait", cid, check=True)  # the container finished while the server was down
        time.sleep(OUTAGE_S)  # the outage itself
        labels = {"container_id": cid, "driver": "elasticsearch"}
        assert metric(ph, "porthole_log_shipping_retrying", **labels) == 1
        assert metric(ph, "porthole_log_shipping_lag_bytes", **labels) > 0
    finally:
        es_server.start()
    wait_for(lambda: count(es, cid) >= LINES, DEADLINE_S, 1, "every line after the outage")
    messages = stored(es, cid)
    assert len(messages) == LINES and set(messages) == {f"line {i}" for i in range(1, LINES + 1)}
    assert metric(ph, "porthole_log_shipping_errors_total", **labels) >= 1
    assert metric(ph, "porthole_log_documents_total", outcome="retried", **labels) >= 1


def test_a_daemon_killed_while_shipping_resends_without_duplicating(ph, es):
    chunks, per_chunk = 20, LINES // 20
    script = "; ".join(f"{numbered(i * per_chunk + 1, (i + 1) * per_chunk)}; sleep 0.2" for i in range(chunks))
    cid = run(ph, "-d", "busybox", "sh", "-c", script)
    total = chunks * per_chunk
    wait_for(lambda: count(es, cid) >= per_chunk, DEADLINE_S, 0.1, "shipping under way")
    ph.kill(signal.SIGKILL)
    killed_with = count(es, cid)
    ph.start()
    wait_for(lambda: count(es, cid) >= total, DEADLINE_S, 1, "every line after the restart")
    ph.docker("wait", cid, check=True)
    messages = stored(es, cid)
    assert killed_with < total  # the daemon died mid-way
    assert len(messages) == total and set(messages) == {f"line {i}" for i in range(1, total + 1)}


def test_a_rejected_document_lands_in_the_dead_letter_file(ph, es, es_server):
    index = "logs-poison-test"
    es.indices.create(index=index, mappings={"properties": {"message": {"type": "long"}}})
    cid = run(ph, "-d", "--log-driver", "elasticsearch", "--log-opt", f"elasticsearch-url={es_server.url}",
              "--log-opt", f"elasticsearch-index={index}", "--log-opt", "elasticsearch-install-template=false",
              "busybox", "sh", "-c", "echo 1; echo oops; echo 2")  # fmt: skip
    dead_letter = ph.data_root / "containers" / cid / DEAD_LETTER
    wait_for(lambda: count(es, cid, index) == 2 and dead_letter.exists(), 30, 0.2, "two stored, one refused")
    (record,) = [json.loads(line) for line in dead_letter.read_text().splitlines()]
    assert record["document"]["message"] == "oops" and record["status"] == 400
    assert record["document"]["container"]["id"] == cid and record["error"]["type"]
    labels = {"container_id": cid, "driver": "elasticsearch"}
    assert metric(ph, "porthole_log_documents_total", outcome="rejected", **labels) == 1
    assert metric(ph, "porthole_log_dropped_lines_total", reason="refused", **labels) == 1
    assert ph.docker("logs", cid, check=True).stdout == b"1\noops\n2\n"


@pytest.mark.parametrize(
    ("opts", "text"),
    [
        (["--log-opt", "elasticsearch-url="], "elasticsearch-url is a required parameter"),
        (["--log-opt", "elasticsearch-url=es:9200"], "invalid elasticsearch-url (es:9200)"),
        (["--log-opt", "elasticsearch-index=Logs"], "log opt 'elasticsearch-index' for elasticsearch log driver"),
        (["--log-opt", "elasticsearch-username=elastic"], "elasticsearch-password is required"),
        (["--log-opt", "elasticsearch-batch-size=0"], "between 1 and 10000"),
        (["--log-opt", "elasticsearch-flush-interval=soon"], 'time: invalid duration "soon"'),
        (["--log-opt", "elasticsearch-shards=1"], "unknown log opt 'elasticsearch-shards' for elasticsearch"),
    ],
)
def test_bad_options_are_refused_at_create(ph, es_server, opts, text):
    url = ["--log-opt", f"elasticsearch-url={es_server.url}"] if "elasticsearch-url" not in opts[1] else []
    result = ph.docker("create", "--log-driver", "elasticsearch", *url, *opts, "busybox", "true")
    assert result.returncode != 0 and text in result.stderr.decode()
    assert ph.docker("ps", "-aq").stdout == b""  # nothing half-created


@pytest.mark.parametrize("fault", ["nothing listens", "wrong password"])
def test_a_wrong_address_or_credentials_shows_in_the_daemon_log_and_counters(ph, es_server, fault):
    proxy = FaultProxy(es_server.port)
    proxy.credentials = ("elastic", "right")
    try:
        url = f"http://127.0.0.1:{free_port()}" if fault == "nothing listens" else proxy.url
        started = time.monotonic()
        cid = run(ph, "-d", "--log-driver", "elasticsearch", "--log-opt", f"elasticsearch-url={url}",
                  "--log-opt", "elasticsearch-username=elastic", "--log-opt", "elasticsearch-password=wrong",
                  "busybox", "sh", "-c", "seq 1 100")  # fmt: skip
        assert ph.docker("wait", cid, check=True).stdout.strip() == b"0"
        assert time.monotonic() - started < 30  # the container neither failed nor waited
        text = (
            "cannot connect: [Errno 111] Connection refused"
            if fault == "nothing listens"
            else ("authentication failed (401): check elasticsearch-username and elasticsearch-password")
        )
        wait_for(lambda: f"{url}: index template porthole-{INDEX}: {text}" in ph.log_tail(), 20, 0.2,
                 "the failure in the daemon's log")  # fmt: skip
        labels = {"container_id": cid, "driver": "elasticsearch"}
        wait_for(lambda: metric(ph, "porthole_log_shipping_errors_total", **labels), 10, 0.2, "errors counted")
        assert metric(ph, "porthole_log_shipping_retrying", **labels) == 1
        assert ph.docker("logs", cid, check=True).stdout.count(b"\n") == 100  # the lines wait in the local log
    finally:
        proxy.stop()
