import pytest

from runtime.engine.healthsettings import HealthSettings, check_healthcheck, health_settings, merge_healthcheck
from runtime.errors import InvalidParameter

S = 1_000_000_000


@pytest.mark.parametrize(
    "config, message",
    [
        ({"Interval": 500_000}, "Interval in Healthcheck cannot be less than 1ms"),
        ({"Timeout": 1}, "Timeout in Healthcheck cannot be less than 1ms"),
        ({"StartPeriod": 999_999}, "StartPeriod in Healthcheck cannot be less than 1ms"),
        ({"StartInterval": 10}, "StartInterval in Healthcheck cannot be less than 1ms"),
        ({"Retries": -1}, "Retries in Healthcheck cannot be negative"),
        ({"Test": "true"}, "Healthcheck.Test: expected a list of strings"),
        ({"Interval": "1s"}, "Healthcheck.Interval: expected an integer of nanoseconds"),
    ],
)
def test_mobys_checks_and_messages(config, message):
    with pytest.raises(InvalidParameter, match=message):
        check_healthcheck(config)


def test_zero_means_the_default_and_passes():
    check_healthcheck({"Test": ["CMD", "true"], "Interval": 0, "Retries": 0})


def test_the_containers_fields_over_the_images():
    image = {"Test": ["CMD", "true"], "Interval": 2 * S, "Retries": 5}
    assert merge_healthcheck({"Test": ["CMD-SHELL", "x"]}, image) == {"Test": ["CMD-SHELL", "x"], "Interval": 2 * S,
                                                                       "Retries": 5}  # fmt: skip
    assert merge_healthcheck({"Interval": S}, image) == {"Test": ["CMD", "true"], "Interval": S, "Retries": 5}
    assert merge_healthcheck(None, image) == image
    assert merge_healthcheck({"Test": ["NONE"]}, image)["Test"] == ["NONE"]
    assert merge_healthcheck(None, None) is None


def test_settings_with_mobys_defaults():
    assert health_settings({"Test": ["CMD-SHELL", "curl -f x"]}) == HealthSettings(
        ["/bin/sh", "-c", "curl -f x"], 30.0, 30.0, 0.0, 5.0, 3
    )
    assert health_settings({"Test": ["CMD", "a", "b"], "Interval": S // 2, "Retries": 1}, ["/bin/ash", "-c"]) == (
        HealthSettings(["a", "b"], 0.5, 30.0, 0.0, 5.0, 1)
    )
    assert health_settings({"Test": ["CMD-SHELL", "x"]}, ["/bin/ash", "-c"]).command == ["/bin/ash", "-c", "x"]


@pytest.mark.parametrize("config", [None, {}, {"Test": []}, {"Test": ["NONE"]}])
def test_no_healthcheck(config):
    assert health_settings(config) is None


def test_an_unknown_test_type_is_refused():
    with pytest.raises(InvalidParameter, match="unknown healthcheck type 'SHELL'"):
        health_settings({"Test": ["SHELL", "x"]})
