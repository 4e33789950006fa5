"""Shared test settings: tests marked `root` need root and are skipped without it."""

import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root (namespaces, cgroups, overlayfs)")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)
