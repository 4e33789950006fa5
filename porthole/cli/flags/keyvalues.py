"""Environment variables, env files, labels, key=value option lists and `--filter`s, with the docker CLI's rules
(opts.ValidateEnv, opts.ParseEnvFile, opts.ConvertKVStringsToMap, filters.ParseFlag)."""

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from runtime.errors import InvalidParameter

_WHITESPACE = " \t\n\r\v\f"


def env_entry(text: str, environ: Mapping[str, str] = os.environ) -> str:
    """`-e K=V` stays; `-e K` takes K's value from the caller's environment, or stays bare when K is unset."""
    name, sep, _ = text.partition("=")
    if not name:
        raise InvalidParameter(f"invalid environment variable {text!r}: no name before '='")
    if sep or name not in environ:
        return text
    return f"{name}={environ[name]}"


def read_env_file(path: str | Path, environ: Mapping[str, str] = os.environ) -> list[str]:
    """`--env-file`: one K=V a line; blank lines and lines starting with # are skipped; a bare K takes its value
    from the caller's environment and is dropped when unset."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise InvalidParameter(f"env file {str(path)!r}: {e.strerror}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    entries = []
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw_line.decode().rstrip("\r")
        except UnicodeDecodeError:
            raise InvalidParameter(f"env file {str(path)!r}: line {number}: invalid UTF-8") from None
        stripped = line.lstrip(_WHITESPACE)
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, value = stripped.partition("=")
        if not name:
            raise InvalidParameter(f"env file {str(path)!r}: line {number}: no variable name in {line!r}")
        if any(c in _WHITESPACE for c in name):
            raise InvalidParameter(f"env file {str(path)!r}: line {number}: variable {name!r} contains whitespace")
        if sep:
            entries.append(f"{name}={value}")
        elif name in environ:
            entries.append(f"{name}={environ[name]}")
    return entries


def string_map(items: Iterable[str]) -> dict[str, str]:
    """`k=v` items → {k: v}; a bare `k` maps to "" (labels, --log-opt, driver options)."""
    result = {}
    for item in items:
        key, _, value = item.partition("=")
        result[key] = value
    return result


def parse_filters(items: Iterable[str]) -> dict[str, list[str]]:
    """`--filter status=running --filter status=exited` → {"status": ["running", "exited"]}."""
    filters: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidParameter(f"invalid filter {item!r}: expected name=value")
        filters.setdefault(key.strip().lower(), []).append(value.strip())
    return filters
