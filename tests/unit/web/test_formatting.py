import pytest

from web.formatting import duration_text, percent_text, size_text, time_text


@pytest.mark.parametrize(
    "value, text",
    [
        (None, "–"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (512 * 1024**2, "512.0 MiB"),
        (3 * 1024**4, "3.0 TiB"),
        (2 * 1024**6, "2048.0 PiB"),
    ],
)
def test_size_text(value, text):
    assert size_text(value) == text


@pytest.mark.parametrize(
    "seconds, text",
    [
        (None, "–"),
        (0, "0 seconds"),
        (1, "1 second"),
        (119, "119 seconds"),
        (120, "2 minutes"),
        (7199, "119 minutes"),
        (7200, "2 hours"),
        (172800, "2 days"),
    ],
)
def test_duration_text(seconds, text):
    assert duration_text(seconds) == text


def test_percent_and_time():
    assert percent_text(12.345) == "12.3 %"
    assert percent_text(None) == "–"
    assert time_text(0) == "1970-01-01 00:00:00 UTC"
    assert time_text(None) == "never"
