"""Container names: Docker's rule for the ones users give, and adjective_surname for the ones they don't."""

import re
import secrets

from runtime.errors import InvalidParameter

VALID_NAME = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")

_ADJECTIVES = (
    "brave",
    "calm",
    "clever",
    "eager",
    "fervent",
    "gentle",
    "happy",
    "keen",
    "lucid",
    "modest",
    "nifty",
    "quirky",
    "serene",
    "sharp",
    "stoic",
    "sweet",
    "tender",
    "vibrant",
    "wizardly",
    "zealous",
)
_SURNAMES = (
    "babbage",
    "curie",
    "darwin",
    "euler",
    "fermi",
    "galois",
    "hopper",
    "hypatia",
    "knuth",
    "lamport",
    "lovelace",
    "noether",
    "pascal",
    "ritchie",
    "shannon",
    "thompson",
    "turing",
    "wozniak",
    "yalow",
    "zuse",
)


def validate_name(name: str) -> str:
    """The name without its optional leading slash, or 400 with Docker's text."""
    if not VALID_NAME.fullmatch(name):  # match's $ would pass a name ending in a newline
        raise InvalidParameter(f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
    return name.removeprefix("/")


def generate_name(taken: set[str]) -> str:
    while True:
        name = f"{secrets.choice(_ADJECTIVES)}_{secrets.choice(_SURNAMES)}"
        if name not in taken:
            return name
        name += str(secrets.randbelow(10))
        if name not in taken:
            return name
