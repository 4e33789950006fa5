"""Go's %q and %v as the classic builder writes them into history; the expected texts are what Docker 20.10.24's
classic builder wrote for the same HEALTHCHECK lines (`docker history --no-trunc`, checked by hand and by
tests/integration/test_build_as_docker.py)."""

import pytest

from runtime.images.builder.gotext import go_health_config, go_quote, go_quote_rune


@pytest.mark.parametrize(
    ("health", "text"),
    [
        (
            {"Test": ["CMD-SHELL", "true"], "Interval": 5 * 10**9, "Timeout": 3 * 10**9, "Retries": 3},
            """&{["CMD-SHELL" "true"] "5s" "3s" "0s" '\\x03'}""",
        ),
        ({"Test": ["CMD", "echo", "é"], "Retries": 65}, """&{["CMD" "echo" "é"] "0s" "0s" "0s" 'A'}"""),
        ({"Test": ["NONE"]}, """&{["NONE"] "0s" "0s" "0s" '\\x00'}"""),
    ],
)
def test_health_config_as_docker_20_10_prints_it(health, text):
    assert go_health_config(health) == text


@pytest.mark.parametrize(
    ("text", "quoted"),
    [('say "hi"\n', r'"say \"hi\"\n"'), ("tab\there", r'"tab\there"'), ("\x01", r'"\x01"'), ("ü", '"ü"')],
)
def test_quote_as_strconv_quote(text, quoted):
    assert go_quote(text) == quoted


def test_quote_rune_escapes_the_single_quote_only():
    assert (go_quote_rune(39), go_quote_rune(34), go_quote_rune(10)) == (r"'\''", "'\"'", r"'\n'")
