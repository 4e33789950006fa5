"""The one table of statuses: the engine's errors and the log pipeline's, each answered as Docker does, and a
host's storage refusal (ENOSPC, EDQUOT, EROFS) as 507 naming the request and the file."""

import errno
import os

import pytest

from logdrivers.errors import (
    DriverUnavailable,
    InvalidLogOpt,
    LogFileError,
    ReadLogsNotSupported,
    UnknownDriver,
    UnknownLogOpt,
)
from runtime.api.errors import error_response, raised_on_purpose, stream_message
from runtime.errors import (
    Conflict,
    HostError,
    InsufficientStorage,
    InvalidParameter,
    NotFound,
    NotImplementedYet,
    NotModified,
)


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


@pytest.mark.parametrize(
    "code, why",
    [
        (errno.ENOSPC, "No space left on device (ENOSPC)"),
        (errno.EDQUOT, "Disk quota exceeded (EDQUOT)"),
        (errno.EROFS, "Read-only file system (EROFS)"),
    ],
)
def test_a_storage_refusal_is_507_naming_what_failed_and_where(code, why):
    error = OSError(code, os.strerror(code), "/var/lib/porthole/containers/abc/.state.json.tmp")
    response = error_response(error, "POST /containers/create")
    assert response.status == 507
    assert response.body == {
        "message": f"porthole: POST /containers/create: cannot store "
        f"/var/lib/porthole/containers/abc/.state.json.tmp: {why}"
    }


def test_a_storage_refusal_without_a_file_still_says_what_failed():
    response = error_response(OSError(errno.ENOSPC, "No space left on device"), "POST /containers/x/start")
    assert (response.status, response.body["message"]) == (
        507,
        "porthole: POST /containers/x/start: cannot store: No space left on device (ENOSPC)",
    )


def test_the_engine_can_raise_it_itself():
    assert error_response(InsufficientStorage("porthole: images: no room for layer x")).status == 507


def test_other_host_errors_keep_their_status():
    assert error_response(OSError(errno.EIO, "Input/output error", "/x")).status == 500
    assert error_response(HostError("cgroups: x")).status == 500
    assert error_response(NotFound("No such container: x")).status == 404


@pytest.mark.parametrize(
    "error, message",
    [
        (
            OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/tmp/layer/diff/r"),
            "porthole: pull: cannot store /data/tmp/layer/diff/r: No space left on device (ENOSPC)",
        ),
        (NotFound("manifest unknown"), "manifest unknown"),
        (ValueError("x"), "porthole: internal error: ValueError('x')"),
    ],
)
def test_a_stream_under_way_names_a_full_disk_as_a_507_would(error, message):
    assert stream_message(error, "pull") == message
