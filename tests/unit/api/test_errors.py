"""The one error table: a host's storage refusal (ENOSPC, EDQUOT, EROFS) is 507 naming the request and the file."""

import errno
import os

import pytest

from runtime.api.errors import error_response
from runtime.errors import HostError, InsufficientStorage, NotFound


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
