"""The topology's errors: InvalidOption's subclasses, which the app answers with 400 and the message."""

from web.errors import InvalidOption


class InvalidReport(InvalidOption):
    """A probe's report that cannot be read: not JSON, a missing field, a value of the wrong type."""


class InvalidSearch(InvalidOption):
    """A search the map cannot parse (`cpu > lots`)."""
