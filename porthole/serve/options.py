"""What the long-running programs' flags share: argparse types with the messages their users see."""

import argparse
from collections.abc import Callable


def positive(what: str) -> Callable[[str], float]:
    """An argparse type for a number above 0; `what` names it in the message ("a number of seconds")."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = 0.0
        if not value > 0:  # also refuses nan
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected {what} above 0")
        return value

    return parse
