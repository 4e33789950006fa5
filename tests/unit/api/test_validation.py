"""Type checks of create bodies: a mistyped field is a 400 that names it."""

import pytest

from runtime.api.validation import container_create_body
from runtime.errors import InvalidParameter


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Cmd": 5}, "invalid JSON: Cmd: expected a string or list of strings, got int 5"),
        ({"Env": ["A=1", 2]}, "invalid JSON: Env: expected a list of strings"),
        ({"Env": ["A=1", ""]}, "invalid environment variable: "),  # Docker's words (20.10, measured)
        ({"Env": ["=x"]}, "invalid environment variable: =x"),
        ({"Labels": {"a": 1}}, "invalid JSON: Labels: expected an object of strings"),
        ({"StopTimeout": "10"}, "invalid JSON: StopTimeout: expected an integer"),
        ({"StopTimeout": True}, "invalid JSON: StopTimeout: expected an integer"),
        ({"Tty": 1}, "invalid JSON: Tty: expected a boolean"),
        ({"HostConfig": "x"}, "invalid JSON: HostConfig: expected an object"),
        ({"HostConfig": {"Binds": "/a:/b"}}, "invalid JSON: HostConfig.Binds: expected a list of strings"),
        (
            {"HostConfig": {"LogConfig": {"Config": {"max-size": 10}}}},
            "invalid JSON: HostConfig.LogConfig.Config: expected an object of strings",
        ),
        (
            {"HostConfig": {"RestartPolicy": {"MaximumRetryCount": "3"}}},
            "invalid JSON: HostConfig.RestartPolicy.MaximumRetryCount: expected an integer",
        ),
    ],
)
def test_mistyped_fields_are_named(body, message):
    with pytest.raises(InvalidParameter) as refused:
        container_create_body(body)
    assert str(refused.value).startswith(message)


def test_null_is_the_zero_value_and_a_string_command_becomes_a_list():
    body = container_create_body({"Image": "busybox", "Cmd": "true", "Entrypoint": None, "Env": None})
    assert body["Cmd"] == ["true"]
    assert body["Entrypoint"] is None


def test_a_long_bad_value_is_cut_in_the_message():
    with pytest.raises(InvalidParameter) as refused:
        container_create_body({"Image": 1234567 * 10**80})
    assert len(str(refused.value)) < 200
