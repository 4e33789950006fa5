"""`.dockerignore` patterns against paths, as Docker decides them."""

import pytest

from runtime.errors import InvalidParameter
from runtime.images.builder.dockerignore import IgnoreRules


@pytest.mark.parametrize(
    "rules, path, ignored",
    [
        ("*.log", "a.log", True),
        ("*.log", "dir/a.log", False),  # `*` never crosses a directory
        ("**/*.log", "dir/sub/a.log", True),
        ("**/*.log", "a.log", True),
        ("dir", "dir/sub/file", True),  # a matched parent directory takes its children
        ("/dir/", "dir/file", True),  # cleaned: leading and trailing slashes go
        ("dir/*.txt\n!dir/keep.txt", "dir/keep.txt", False),
        ("dir/*.txt\n!dir/keep.txt", "dir/drop.txt", True),
        ("!keep\n*", "keep", True),  # the last matching line decides
        ("*\n!keep", "keep", False),
        ("# comment\n\n  node_modules  ", "node_modules/x/y.js", True),
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("[a-c].txt", "b.txt", True),
        ("[!a].txt", "a.txt", False),
        ("src/**/test", "src/test", True),
        ("src/**/test", "src/a/b/test", True),
        ("./build", "build/out", True),
        ("\\*star", "*star", True),
    ],
)
def test_patterns(rules, path, ignored):
    assert IgnoreRules(rules).ignored(path) is ignored


def test_exclusions_are_reported_so_ignored_directories_are_still_walked():
    assert IgnoreRules("*\n!src").has_exclusions
    assert not IgnoreRules("*.log").has_exclusions


def test_a_bare_exclamation_mark_is_an_error():
    with pytest.raises(InvalidParameter, match="illegal exclusion pattern"):
        IgnoreRules("!")
