"""The Dockerfile word rules `docker import --change` lines follow: word splitting, quotes, `$VAR` expansion.

A small rendering of buildkit's shell lexer (frontend/dockerfile/shell/lex.go): single quotes are literal,
double quotes expand variables and let `\\` escape `"`, `$` and `\\`; outside quotes `\\` escapes anything.
`${VAR:-default}` and `${VAR:+alternative}` are supported, as in Dockerfiles.
"""

import re
from collections.abc import Mapping

from runtime.errors import InvalidParameter

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WHITESPACE = " \t\r\n"


def split_words(text: str, escape: str = "\\") -> list[str]:
    """Split on unquoted whitespace, keeping quotes and escapes in the words (buildkit's parseWords)."""
    words: list[str] = []
    word = ""
    quote = ""
    escaped = False
    for char in text:
        if escaped:
            word += char
            escaped = False
        elif char == escape and quote != "'":
            word += char
            escaped = True
        elif quote:
            word += char
            if char == quote:
                quote = ""
        elif char in "'\"":
            word += char
            quote = char
        elif char in _WHITESPACE:
            if word:
                words.append(word)
            word = ""
        else:
            word += char
    if word:
        words.append(word)
    return words


class _Expander:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self._text = text
        self._env = env
        self._escape = escape
        self._at = 0

    def _error(self, why: str) -> InvalidParameter:
        return InvalidParameter(f'failed to process "{self._text}": {why}')

    def _peek(self) -> str:
        return self._text[self._at] if self._at < len(self._text) else ""

    def _take(self) -> str:
        char = self._peek()
        self._at += 1
        return char

    def word(self, stop: str = "") -> str:
        out = ""
        while self._at < len(self._text) and self._peek() not in stop:
            char = self._take()
            if char == "'":
                out += self._single_quoted()
            elif char == '"':
                out += self._double_quoted()
            elif char == self._escape:
                out += self._take()
            elif char == "$":
                out += self._variable()
            else:
                out += char
        return out

    def _single_quoted(self) -> str:
        end = self._text.find("'", self._at)
        if end == -1:
            raise self._error("unexpected end of statement while looking for matching single-quote")
        out, self._at = self._text[self._at : end], end + 1
        return out

    def _double_quoted(self) -> str:
        out = ""
        while True:
            char = self._take()
            if char == "":
                raise self._error("unexpected end of statement while looking for matching double-quote")
            if char == '"':
                return out
            if char == self._escape and self._peek() in ('"', "$", self._escape):
                out += self._take()
            elif char == "$":
                out += self._variable()
            else:
                out += char

    def _variable(self) -> str:
        if self._peek() == "{":
            self._take()
            match = _NAME.match(self._text, self._at)
            if match is None:
                raise self._error("bad substitution")
            name = match.group()
            self._at = match.end()
            if self._peek() not in (":", "}"):
                raise self._error("missing ':' in substitution")
            if self._take_if(":-"):
                word = self.word(stop="}")
                value = self._env.get(name) or word
            elif self._take_if(":+"):
                word = self.word(stop="}")
                value = word if self._env.get(name) else ""
            else:
                value = self._env.get(name, "")
            if self._take() != "}":
                raise self._error("missing '}'")
            return value
        match = _NAME.match(self._text, self._at)
        if match is None:
            return "$"
        self._at = match.end()
        return self._env.get(match.group(), "")

    def _take_if(self, token: str) -> bool:
        if self._text.startswith(token, self._at):
            self._at += len(token)
            return True
        return False


def expand_word(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Remove quotes and escapes from one word and expand its variables."""
    return _Expander(word, env, escape).word()


def expand_words(text: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Split `text` into words, then expand each (EXPOSE, VOLUME in shell form)."""
    return [expand_word(word, env, escape) for word in split_words(text, escape)]
