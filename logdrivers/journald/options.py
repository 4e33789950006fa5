"""journald options (Docker's validateLogOpt: the attribute options and tag, nothing else)."""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from logdrivers.attrs import ATTR_KEYS, AttrOptions, parse_attr_options
from logdrivers.common_options import reject_unknown_keys
from logdrivers.tag import TagTemplate, parse_tag_template

DRIVER = "journald"
KNOWN_KEYS = ATTR_KEYS | {"tag"}
JOURNAL_SOCKET = "/run/systemd/journal/socket"
# Where the daemon's journal listens when it is not the host's (a journald in a test's own mount namespace);
# a daemon-wide setting, not a log option: Docker's journald driver has no address either.
SOCKET_ENV = "PORTHOLE_JOURNALD_SOCKET"


@dataclass(frozen=True, slots=True)
class JournaldOptions:
    attrs: AttrOptions = AttrOptions()
    tag: TagTemplate = parse_tag_template("{{.ID}}", DRIVER)


def parse_options(opts: Mapping[str, str]) -> JournaldOptions:
    reject_unknown_keys(opts, KNOWN_KEYS, DRIVER)
    return JournaldOptions(parse_attr_options(opts, DRIVER), parse_tag_template(opts.get("tag") or "{{.ID}}", DRIVER))


def journal_socket() -> str:
    return os.environ.get(SOCKET_ENV) or JOURNAL_SOCKET
