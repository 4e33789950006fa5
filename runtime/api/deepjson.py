"""JSON nested deeper than orjson's 1024 levels, read as Docker's Go decoder reads it: up to 10,000 levels
(encoding/json's maxNestingDepth), and beyond that Go's error.

orjson reads nearly every body; a body it refuses for depth alone comes here. This reader keeps its own stack
(no recursion: Python's would stop near 1000 levels) and takes strings through the json module's scanner.
"""

import json.decoder
import re
from typing import Any

from runtime.errors import InvalidParameter

MAX_DEPTH = 10_000  # Go's encoding/json: "exceeded max depth" past this many open objects and arrays
_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}
_CLOSING = {"[": "]", "{": "}"}


class _Frame:
    """An open object or array, and the key its next value goes under (objects)."""

    __slots__ = ("container", "key", "closing")

    def __init__(self, opening: str) -> None:
        self.container: dict[str, Any] | list[Any] = {} if opening == "{" else []
        self.key: str | None = None
        self.closing = _CLOSING[opening]


def loads(data: bytes) -> Any:
    """The value in `data`; InvalidParameter as Docker words it for a body nested too deep, or not JSON."""
    try:
        text = data.decode()
    except UnicodeDecodeError as e:
        raise InvalidParameter(f"invalid JSON: {e.reason}") from None
    try:
        return _Reader(text).value()
    except IndexError:  # the text ends inside a value
        raise InvalidParameter("invalid JSON: unexpected end of input") from None
    except ValueError as e:
        raise InvalidParameter(f"invalid JSON: {e}") from None


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _skip_space(self) -> str:
        self.pos = _SPACE.match(self.text, self.pos).end()
        return self.text[self.pos]

    def _key(self, frame: _Frame) -> None:
        if self._skip_space() != '"':
            raise ValueError(f"expected a string key at character {self.pos}")
        frame.key, self.pos = json.decoder.scanstring(self.text, self.pos + 1)
        if self._skip_space() != ":":
            raise ValueError(f"expected ':' at character {self.pos}")
        self.pos += 1

    def value(self) -> Any:
        stack: list[_Frame] = []
        while True:
            char = self._skip_space()
            if char in _CLOSING:
                if len(stack) >= MAX_DEPTH:
                    # Docker (moby's runconfig) puts "invalid JSON: " before Go's own words
                    raise ValueError(f"invalid character '{char}' exceeded max depth")
                frame = _Frame(char)
                self.pos += 1
                if self._skip_space() == frame.closing:
                    self.pos += 1
                    value = frame.container
                else:
                    stack.append(frame)
                    if isinstance(frame.container, dict):
                        self._key(frame)
                    continue
            else:
                value = self._scalar(char)
            # the value is whole: put it in its container, closing every container it completes
            while True:
                if not stack:
                    if self.pos < len(self.text) and _SPACE.match(self.text, self.pos).end() != len(self.text):
                        raise ValueError(f"unexpected content after JSON at character {self.pos}")
                    return value
                frame = stack[-1]
                if isinstance(frame.container, dict):
                    frame.container[frame.key] = value
                else:
                    frame.container.append(value)
                char = self._skip_space()
                self.pos += 1
                if char == ",":
                    if isinstance(frame.container, dict):
                        self._key(frame)
                    break
                if char != frame.closing:
                    raise ValueError(f"expected ',' or '{frame.closing}' at character {self.pos - 1}")
                value = stack.pop().container

    def _scalar(self, char: str) -> Any:
        if char == '"':
            value, self.pos = json.decoder.scanstring(self.text, self.pos + 1)
            return value
        for word, value in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return value
        number = _NUMBER.match(self.text, self.pos)
        if number is None:
            raise ValueError(f"invalid character {char!r} looking for beginning of value")
        self.pos = number.end()
        return float(number.group()) if number.group(1) or number.group(2) else int(number.group())
