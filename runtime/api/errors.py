"""Engine errors to HTTP statuses and Docker's `{"message": ...}` body: the one place this mapping lives."""

from runtime.api.http import Empty, Json, Response
from runtime.errors import (
    Conflict,
    EngineError,
    Forbidden,
    HostError,
    InvalidParameter,
    NotFound,
    NotImplementedYet,
    NotModified,
    Unavailable,
)

STATUS = {
    InvalidParameter: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    HostError: 500,
    NotImplementedYet: 501,
    Unavailable: 503,
}


def status_of(error: EngineError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(error: Exception) -> Response:
    if isinstance(error, NotModified):
        return Empty(304)
    if isinstance(error, EngineError):
        return Json({"message": error.message}, status_of(error))
    return Json({"message": f"porthole: internal error: {error!r}"}, 500)
