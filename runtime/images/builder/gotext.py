"""Values printed as Go's fmt prints them, where the classic builder puts `%q`/`%v` output into history entries
and notes (moby's dispatchers.go): the history of an image built here reads as Docker's, byte for byte."""

from common.durations import go_duration_text

_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v", "\\": r"\\"}


def _escaped(char: str, quote: str) -> str:
    if char == quote:
        return "\\" + char
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char.isprintable():  # unicode.IsPrint: letters, marks, numbers, punctuation, symbols, the ASCII space
        return char
    code = ord(char)
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def go_quote(text: str) -> str:
    """strconv.Quote, which %q applies to a string."""
    return '"' + "".join(_escaped(c, '"') for c in text) + '"'


def go_quote_rune(value: int) -> str:
    """strconv.QuoteRune, which %q applies to an int ('\\x03' for 3, 'A' for 65)."""
    return "'" + _escaped(chr(value), "'") + "'"


def go_quoted_list(values: list[str]) -> str:
    """%q of a []string: ["a" "b"]."""
    return "[" + " ".join(go_quote(v) for v in values) + "]"


def go_list(values: list[str]) -> str:
    """%v of a []string: [a b]."""
    return "[" + " ".join(values) + "]"


def go_health_config(health: dict) -> str:
    """%q of the *container.HealthConfig of Docker 20.10 (Test, Interval, Timeout, StartPeriod, Retries): the
    durations through their String method, Retries as a rune. Docker 25 added StartInterval; 20.10 is the
    classic builder we answer as."""
    durations = " ".join(go_quote(go_duration_text(health.get(f, 0))) for f in ("Interval", "Timeout", "StartPeriod"))
    return f"&{{{go_quoted_list(health['Test'])} {durations} {go_quote_rune(health.get('Retries', 0))}}}"
