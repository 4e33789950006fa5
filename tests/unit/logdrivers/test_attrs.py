from dataclasses import replace

import pytest

from logdrivers.attrs import extra_attributes, parse_attr_options

CASES = {
    "none asked": ({}, {}),
    "labels by name, missing ignored": ({"labels": "tier,missing"}, {"tier": "front"}),
    "no trimming, as Docker": ({"labels": "tier, com.example.team"}, {"tier": "front"}),
    "labels regex searches anywhere": ({"labels-regex": "example"}, {"com.example.team": "web"}),
    "env: later duplicate wins, no-equals ignored": ({"env": "A,NOEQUALS"}, {"A": "2"}),
    "env regex": ({"env-regex": "^P"}, {"PATH": "/bin"}),
}


@pytest.mark.parametrize("opts, expected", CASES.values(), ids=CASES.keys())
def test_extra_attributes(info, opts, expected):
    assert extra_attributes(parse_attr_options(opts, "json-file"), info) == expected


def test_env_wins_over_label(info):
    both = replace(info, env=("tier=from-env",))
    options = parse_attr_options({"labels": "tier", "env": "tier"}, "json-file")
    assert extra_attributes(options, both) == {"tier": "from-env"}
