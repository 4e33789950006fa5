import re

import pytest

from runtime.cgroups.cpulist import all_within, format_cpu_list, parse_cpu_list


@pytest.mark.parametrize(
    "text, ranges",
    [
        ("", []),
        ("7", [(7, 7)]),
        ("1-6", [(1, 6)]),
        ("0,3-4,7,8-10", [(0, 0), (3, 4), (7, 7), (8, 10)]),
        ("03,1-3", [(3, 3), (1, 3)]),
    ],
)
def test_parse(text, ranges):
    assert parse_cpu_list(text) == ranges


@pytest.mark.parametrize("text", ["a", "1-", "-1", "3-1", "1,,2", " 1", "1 ", "+1", "1-2-3", "²"])
def test_parse_rejects_like_docker(text):
    with pytest.raises(ValueError, match=f"^invalid format: {re.escape(text)}$"):
        parse_cpu_list(text)


@pytest.mark.parametrize(
    "numbers, text",
    [(set(), ""), ({0}, "0"), ({0, 1}, "0-1"), ({0, 1, 2, 5, 7, 8}, "0-2,5,7-8"), ({3, 1}, "1,3")],
)
def test_format(numbers, text):
    assert format_cpu_list(numbers) == text


def test_all_within_does_not_expand_huge_ranges():
    available = frozenset({0, 1})
    assert all_within([(0, 1)], available)
    assert not all_within([(0, 2)], available)
    assert not all_within([(0, 10**12)], available)
