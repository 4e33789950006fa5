"""The one table of statuses: the engine's errors and the log pipeline's, each answered as Docker does."""

import pytest

from logdrivers.errors import (
    DriverUnavailable,
    InvalidLogOpt,
    LogFileError,
    ReadLogsNotSupported,
    UnknownDriver,
    UnknownLogOpt,
)
from runtime.api.errors import error_response, raised_on_purpose
from runtime.errors import Conflict, InvalidParameter, NotFound, NotImplementedYet, NotModified


@pytest.mark.parametrize(
    "error, status",
    [
        (InvalidParameter("bad"), 400),
        (NotFound("No such container: x"), 404),
        (Conflict("in use"), 409),
        (NotImplementedYet("later"), 501),
        (InvalidLogOpt("max-size", "json-file", "'12x' is not a size"), 400),
        (UnknownLogOpt("x", "json-file"), 400),
        (UnknownDriver("syslogg"), 400),
        (DriverUnavailable("testfile"), 500),
        (ReadLogsNotSupported(), 501),
        (LogFileError("/var/log/x", "rotate", OSError(28, "No space left on device")), 500),
    ],
)
def test_status_and_message(error, status):
    response = error_response(error)
    assert response.status == status and raised_on_purpose(error)
    message = response.body["message"]
    assert message == (error.message if hasattr(error, "message") else str(error))


def test_not_modified_has_no_body():
    assert error_response(NotModified("already started")).status == 304


def test_anything_else_is_an_internal_error():
    response = error_response(KeyError("x"))
    assert response.status == 500 and not raised_on_purpose(KeyError("x"))
    assert response.body["message"] == "porthole: internal error: KeyError('x')"
