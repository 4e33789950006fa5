"""A fault for a test daemon (tests/support/crashpoints/sitecustomize.py installs it when PORTHOLE_START_FAULT
is set): building the spec of a container with the label `porthole.test.start-fault` raises FileNotFoundError,
an error no layer of start expects, as a file gone between two steps would; with the label's value `enospc`, the
OSError of a full disk instead."""

import errno

from runtime.engine import lifecycle

LABEL = "porthole.test.start-fault"


def install() -> None:
    build_spec = lifecycle.build_spec

    def failing_build_spec(config, container, *args, **kwargs):
        fault = (container.config.get("Labels") or {}).get(LABEL)
        if fault == "enospc":
            raise OSError(errno.ENOSPC, "No space left on device", "/injected/by/the/test")
        if fault is not None:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/injected/by/the/test")
        return build_spec(config, container, *args, **kwargs)

    lifecycle.build_spec = failing_build_spec
