"""Fixtures for tests against a real daemon: one daemon per test module, every container, volume and network
removed after each test (every image too, but busybox, for tests that ask), the whole daemon (bridge, chains,
cgroups, data) wiped after the module."""

import docker
import pytest

from tests.support.daemon import TestDaemon, busybox_tar, running


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory):
    return busybox_tar(tmp_path_factory.mktemp("images") / "busybox.tar")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, busybox_rootfs):
    with running(TestDaemon(tmp_path_factory.mktemp("porthole")), busybox_rootfs) as d:
        yield d


@pytest.fixture
def ph(daemon):
    """The module's daemon, clean after the test whatever happened in it."""
    yield daemon
    daemon.remove_everything()


@pytest.fixture
def client(ph) -> docker.DockerClient:
    c = ph.client()
    yield c
    c.close()


@pytest.fixture
def images_cleaned(ph, client):
    """After the test, every image but busybox:latest removed too (the list has children before their parents, so
    none is refused as a parent)."""
    yield
    ph.remove_everything()
    for image in client.images.list(all=True):
        if "busybox:latest" not in image.tags:
            try:
                client.images.remove(image.id, force=True)
            except docker.errors.ImageNotFound:
                pass  # a build step's image, deleted with the image built on it
