"""Errors to HTTP statuses and Docker's `{"message": ...}` body: the one place this mapping lives, for the
engine's hierarchy (runtime.errors) and the log pipeline's (logdrivers.errors).

A full disk, a quota or a read-only file system (ENOSPC, EDQUOT, EROFS), wherever it surfaces as an OSError, is
507 Insufficient Storage (RFC 4918: the server cannot store what the request needs) with the request and the
file named. Docker answers 500 with the path; 507 is a 5xx all the same (docker-py raises the same APIError, the
CLI prints the message), and a client can tell "free space and retry" from a fault of the daemon's.
"""

from logdrivers.errors import (
    DriverUnavailable,
    InvalidLogOpt,
    LogDriverError,
    ReadLogsNotSupported,
    UnknownDriver,
)
from runtime.api.http import Empty, Json, Response
from runtime.errors import (
    Conflict,
    EngineError,
    Forbidden,
    HostError,
    InsufficientStorage,
    InvalidParameter,
    NotFound,
    NotImplementedYet,
    NotModified,
    Unavailable,
)

STATUS: dict[type[Exception], int] = {
    InvalidParameter: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    HostError: 500,
    InsufficientStorage: 507,
    NotImplementedYet: 501,
    # logdrivers: what Docker answers for each (moby wraps its create-time log errors as invalid parameters)
    InvalidLogOpt: 400,  # UnknownLogOpt too
    UnknownDriver: 400,  # named at create
    DriverUnavailable: 500,  # a container's driver gone since its create (an uninstalled plugin)
    ReadLogsNotSupported: 501,
    LogDriverError: 500,
    Unavailable: 503,
}


def raised_on_purpose(error: Exception) -> bool:
    """An error of one of the two hierarchies: its message says it all, no traceback is logged for it."""
    return isinstance(error, (EngineError, LogDriverError))


def status_of(error: Exception) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def stream_message(error: BaseException, what: str) -> str:
    """What a stream already under way (its status sent) says of the error that ended it; `what` ("pull") names
    what failed on a full disk, as a request's 507 names the request."""
    error = InsufficientStorage.of(error, what) or error
    return error.message if isinstance(error, EngineError) else f"porthole: internal error: {error!r}"


def error_response(error: Exception, request: str = "") -> Response:
    """`request` ("POST /containers/create") names what failed in the message of a host's refusal."""
    error = InsufficientStorage.of(error, request or "request") or error
    if isinstance(error, NotModified):
        return Empty(304)
    if isinstance(error, EngineError):
        return Json({"message": error.message}, status_of(error))
    if isinstance(error, LogDriverError):
        return Json({"message": str(error)}, status_of(error))
    return Json({"message": f"porthole: internal error: {error!r}"}, 500)
