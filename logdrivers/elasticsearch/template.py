"""The index template the driver installs for its data stream on first use, so Kibana shows every field with
its type: @timestamp as date_nanos (the nanoseconds kept), message as text, the rest as keywords.

It matches exactly the configured data stream name at priority 200, above Elasticsearch's built-in `logs`
template (pattern logs-*-*, priority 100) and below nothing a user is likely to set for the same name. An
existing template of ours is never overwritten: a user who edits it keeps the edits (as Filebeat's
setup.template.overwrite: false does).
"""

from typing import Any

PRIORITY = 200
KEYWORD = {"type": "keyword", "ignore_above": 1024}

MAPPINGS: dict[str, Any] = {
    "dynamic_templates": [
        {
            "container_labels": {
                "path_match": "container.labels.*",
                "match_mapping_type": "string",
                "mapping": KEYWORD,
            }
        }
    ],
    "properties": {
        "@timestamp": {"type": "date_nanos"},
        "message": {"type": "match_only_text"},
        "log": {"properties": {"iostream": KEYWORD}},
        "container": {
            "properties": {
                "id": KEYWORD,
                "name": KEYWORD,
                "runtime": KEYWORD,
                "image": {"properties": {"name": KEYWORD}},
                "labels": {"type": "object"},
            }
        },
        "host": {"properties": {"name": KEYWORD}},
        "ecs": {"properties": {"version": KEYWORD}},
        "tags": KEYWORD,
        "event": {"properties": {"dataset": KEYWORD}},
        "data_stream": {
            "properties": {
                "type": {"type": "constant_keyword"},
                "dataset": {"type": "constant_keyword"},
                "namespace": {"type": "constant_keyword"},
            }
        },
    },
}


def template_name(index: str) -> str:
    return f"porthole-{index}"


def template_body(index: str) -> dict[str, Any]:
    """The arguments of PUT _index_template/<template_name(index)>."""
    return {
        "index_patterns": [index],
        "data_stream": {},
        "priority": PRIORITY,
        "template": {"mappings": MAPPINGS},
        "meta": {"managed_by": "porthole", "description": "container logs shipped by porthole (ECS)"},
    }
