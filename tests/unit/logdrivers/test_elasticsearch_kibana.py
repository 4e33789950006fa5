"""The Kibana saved objects in dashboards/kibana/ match what the elasticsearch driver writes."""

import json
from pathlib import Path

from logdrivers.elasticsearch.template import MAPPINGS

SAVED_OBJECTS = Path(__file__).resolve().parents[3] / "dashboards" / "kibana" / "porthole-logs.ndjson"


def mapped_fields(properties: dict, prefix: str = "") -> dict[str, str]:
    fields = {}
    for name, spec in properties.items():
        if "properties" in spec:
            fields |= mapped_fields(spec["properties"], f"{prefix}{name}.")
        else:
            fields[prefix + name] = spec["type"]
    return fields


def saved_objects() -> list[dict]:
    return [json.loads(line) for line in SAVED_OBJECTS.read_text().splitlines()]


def test_the_data_view_covers_the_default_data_stream_with_its_time_field():
    (view,) = [o for o in saved_objects() if o["type"] == "index-pattern"]
    assert view["attributes"]["title"] == "logs-porthole-*" and view["attributes"]["timeFieldName"] == "@timestamp"
    assert mapped_fields(MAPPINGS["properties"])["@timestamp"] == "date_nanos"


def test_the_saved_searches_name_only_mapped_fields_and_point_at_the_data_view():
    fields = mapped_fields(MAPPINGS["properties"])
    ids = {o["id"] for o in saved_objects()}
    searches = [o for o in saved_objects() if o["type"] == "search"]
    assert len(searches) == 2
    for search in searches:
        attributes = search["attributes"]
        assert set(attributes["columns"]) <= set(fields), attributes["columns"]
        assert all(field in fields for field, _ in attributes["sort"])
        source = json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
        (reference,) = search["references"]
        assert reference["name"] == source["indexRefName"] and reference["id"] in ids
