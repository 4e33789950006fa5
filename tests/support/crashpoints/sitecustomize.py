"""Imported by Python at start-up when this directory is on PYTHONPATH (site's `sitecustomize` hook): a test
daemon started with PORTHOLE_CRASH_ARM set gets the crash points of tests/support/crashinjection.py, one with
PORTHOLE_START_FAULT the start fault of tests/support/startfault.py. Nothing
else puts this directory on a path: the daemon a user runs never has them."""

import os

if os.environ.get("PORTHOLE_CRASH_ARM"):
    from tests.support.crashinjection import install

    install(os.environ["PORTHOLE_CRASH_ARM"], os.environ["PORTHOLE_CRASH_LOG"])

if os.environ.get("PORTHOLE_START_FAULT"):
    from tests.support.startfault import install as install_start_fault

    install_start_fault()
