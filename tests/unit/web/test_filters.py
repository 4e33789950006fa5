import pytest

from exporter.records import record_from_inspect
from tests.unit.exporter.fakes import inspect_json
from web.errors import InvalidOption
from web.filters import ContainerFilter, parse_filter

WEB = record_from_inspect(inspect_json("a1" * 32, "web-front", image="nginx:1.25", labels={"tier": "front"}))
DB = record_from_inspect(inspect_json("b2" * 32, "db", image="postgres:16", labels={"tier": "back", "backup": ""}))
OLD = record_from_inspect(inspect_json("c3" * 32, "old-job", state="exited"))
ALL = (WEB, DB, OLD)


@pytest.mark.parametrize(
    "text, names",
    [
        ("", {"web-front", "db", "old-job"}),
        ("web", {"web-front"}),
        ("WEB", {"web-front"}),
        ("postgres", {"db"}),
        ("b2b2", {"db"}),  # an id prefix
        ("name:o", {"web-front", "old-job"}),
        ("image:nginx", {"web-front"}),
        ("state:running", {"web-front", "db"}),
        ("state:exit", {"old-job"}),  # a state's start, as one types
        ("state:running state:exited", {"web-front", "db", "old-job"}),  # any of the states
        ("label:tier", {"web-front", "db"}),
        ("label:tier=back", {"db"}),
        ("label:backup=", {"db"}),
        ("label:tier=front name:db", set()),  # every term must match
        ("name:", {"web-front", "db", "old-job"}),  # a term still being typed
    ],
)
def test_filter_matches(text, names):
    only = parse_filter(text)
    assert {r.name for r in ALL if only.matches(r)} == names


def test_parse_filter_keeps_each_kind_of_term():
    assert parse_filter("Name:Web image:NGINX state:Running label:a=b label:c word") == ContainerFilter(
        names=("web",), images=("nginx",), states=("running",), labels=(("a", "b"), ("c", None)), words=("word",)
    )


def test_an_unknown_key_is_refused_with_the_keys_one_may_use():
    with pytest.raises(InvalidOption, match="web: invalid filter 'colour:red': unknown key 'colour', expected one of"):
        parse_filter("colour:red")
