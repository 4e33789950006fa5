import pytest

from common.durations import human_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-3, "Less than a second"),
        (0.5, "Less than a second"),
        (1, "1 second"),
        (1.9, "1 second"),
        (59, "59 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (120, "2 minutes"),
        (3599, "59 minutes"),
        (3600, "About an hour"),
        (5400, "2 hours"),  # Go rounds half an hour up
        (2 * 3600, "2 hours"),
        (47 * 3600, "47 hours"),
        (48 * 3600, "2 days"),
        (3 * 86400, "3 days"),
        (14 * 86400, "2 weeks"),
        (15 * 86400, "2 weeks"),
        (60 * 86400, "2 months"),
        (90 * 86400, "3 months"),
        (2 * 365 * 86400, "2 years"),
        (800 * 86400, "2 years"),
    ],
)
def test_human_duration_as_go_units(seconds, text):
    assert human_duration(seconds) == text
