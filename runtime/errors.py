"""The engine's one exception hierarchy.

Every error a client can cause is one of these; `runtime.api.errors` maps each class to its HTTP status
and Docker's `{"message": ...}` body in one place. Messages follow `<component>: <what> <name>: <why>`
where Docker's own wording is not what clients match on (Docker's texts are kept where they are).
"""

import errno


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class InvalidParameter(EngineError):
    """The request names a bad field or value (400)."""


class NotFound(EngineError):
    """The named object does not exist (404)."""


class Conflict(EngineError):
    """The request conflicts with the object's current state (409)."""


class NotModified(EngineError):
    """Nothing to do: already started, already stopped (304, empty body)."""


class Forbidden(EngineError):
    """The object may not be changed, e.g. a predefined network (403)."""


class NotImplementedYet(EngineError):
    """The API call or option exists in Docker but porthole does not serve it (501)."""


class Unavailable(EngineError):
    """The service the call needs is not running here, e.g. swarm mode (503, as Docker without a swarm)."""


class HostError(EngineError):
    """The host refused an operation the request was entitled to (500)."""


class InsufficientStorage(HostError):
    """The host has no room (ENOSPC, EDQUOT) or no write access (EROFS) for what the request must store (507);
    the client can act on it: free space, raise the quota, remount, and retry."""

    ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)

    @classmethod
    def covers(cls, error: BaseException) -> bool:
        """Whether `error` is the host's refusal to store (an OSError of ERRNOS)."""
        return isinstance(error, OSError) and error.errno in cls.ERRNOS

    @staticmethod
    def naming(error: OSError, path: object) -> OSError:
        """`error` naming `path` where it names no file: a write(2)'s error does not, and a 507 names the file."""
        return OSError(error.errno, error.strerror, error.filename if error.filename is not None else str(path))

    @classmethod
    def of(cls, error: BaseException, what: str) -> "InsufficientStorage | None":
        """The refusal `error` is, named with `what` failed and the file, or None if it is not one."""
        if not cls.covers(error):
            return None
        where = f" {error.filename}" if error.filename is not None else ""
        why = f"{error.strerror} ({errno.errorcode[error.errno]})"
        return cls(f"porthole: {what}: cannot store{where}: {why}")
