"""The engine's one exception hierarchy.

Every error a client can cause is one of these; `runtime.api.errors` maps each class to its HTTP status
and Docker's `{"message": ...}` body in one place. Messages follow `<component>: <what> <name>: <why>`
where Docker's own wording is not what clients match on (Docker's texts are kept where they are).
"""


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
