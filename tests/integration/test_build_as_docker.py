"""One Dockerfile built by porthole and by Debian's dockerd 20.10 (classic builder, DOCKER_BUILDKIT=0) in the same
run: the history both write (HEALTHCHECK's `%q` of Go's HealthConfig included) and the kinds of line both stream,
step by step (ids differ; `Running in` and `Removing intermediate container` must come where Docker's come)."""

import contextlib
import io
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dockerd import dockerd_installed, running_dockerd
from tests.support.fileserver import served_files

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(not dockerd_installed(), reason="Debian's docker.io (dockerd) is not installed"),
]

DOCKERFILE = """\
FROM busybox
ENV A=1
LABEL x=y
RUN echo hi > /f
HEALTHCHECK --interval=5s --timeout=3s --retries=3 CMD true
HEALTHCHECK --retries=65 CMD ["echo", "é"]
HEALTHCHECK NONE
EXPOSE 80
WORKDIR /w
USER 1
CMD ["sh"]
COPY a.txt /
COPY d /d
COPY --from=busybox /etc/passwd /bin /x/
ARG Q=1
STOPSIGNAL 9
VOLUME /v
ONBUILD RUN x
SHELL ["/bin/sh", "-c"]
MAINTAINER me
ENTRYPOINT ["a"]
"""
SCRATCH_DOCKERFILE = 'FROM scratch\nENV A=1\nCOPY a.txt /\nLABEL x=y\nCMD ["x"]\n'


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory, busybox_rootfs):
    with running_dockerd(tmp_path_factory.mktemp("dockerd"), busybox_rootfs) as daemon:
        yield daemon


@pytest.fixture
def context(tmp_path) -> Path:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "d/e").mkdir(parents=True)
    (tmp_path / "d/e/b.txt").write_text("b\n")
    (tmp_path / "d/c").symlink_to("e/b.txt")
    return tmp_path


@pytest.fixture
def images_cleaned(ph, dockerd):
    """Both daemons lose the test's image and its steps' images (their build cache with them)."""
    yield
    for daemon in (ph, dockerd):
        ids = daemon.docker("images", "-q", "--filter", "reference=as-docker").stdout.decode().split()
        if ids:
            daemon.docker("rmi", "-f", *set(ids))


def build_lines(daemon, context: Path) -> list[str]:
    """`docker build`'s output with ids masked and porthole's own step profile line left out."""
    result = daemon.docker("build", "--network", "none", "-t", "as-docker", str(context), timeout=180)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    return [re.sub(r"\b[0-9a-f]{12}\b", "<id>", line) for line in lines if not line.startswith(" ---> Step profile:")]


def history(daemon) -> list[str]:
    """`created_by` of each step, COPY's `file:` and `dir:` checksums (Docker's tarsum) included."""
    rows = daemon.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", "as-docker", check=True)
    return rows.stdout.decode().splitlines()


def test_history_reads_as_dockers(ph, dockerd, images_cleaned, context):
    build_lines(ph, context)
    build_lines(dockerd, context)
    ours, theirs = history(ph), history(dockerd)
    assert '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "true"] "5s" "3s" "0s" \'\\x03\'}' in theirs
    assert any(re.fullmatch(r"/bin/sh -c #\(nop\) COPY dir:[0-9a-f]{64} in /d ", line) for line in theirs)
    assert ours[: len(DOCKERFILE.splitlines()) - 1] == theirs[: len(DOCKERFILE.splitlines()) - 1]


def test_build_stream_has_dockers_lines_step_by_step(ph, dockerd, images_cleaned, context):
    for _ in ("cold", "cached"):
        ours, theirs = build_lines(ph, context), build_lines(dockerd, context)
        assert ours == theirs


@contextlib.contextmanager
def kept_step_containers(daemon, context: Path) -> Iterator[set[str]]:
    """The containers a `--rm=false` build leaves, removed when the block ends."""
    before = set(daemon.docker("ps", "-aq", check=True).stdout.decode().split())
    result = daemon.docker("build", "--rm=false", "--network", "none", "-t", "as-docker", str(context), timeout=180)
    kept = set(daemon.docker("ps", "-aq", check=True).stdout.decode().split()) - before
    try:
        assert result.returncode == 0, result.stderr.decode()
        yield kept
    finally:
        if kept:
            daemon.docker("rm", "-f", *kept, check=True)


def test_rm_false_keeps_the_same_step_containers_as_docker(ph, dockerd, images_cleaned, context):
    """--rm=false: every step that made a container (RUN and the metadata steps, not FROM or COPY) leaves it."""
    with kept_step_containers(ph, context) as ours, kept_step_containers(dockerd, context) as theirs:
        assert len(ours) == len(theirs) == len(DOCKERFILE.splitlines()) - 4  # all but FROM and the COPYs


def test_a_scratch_stage_streams_dockers_lines(ph, dockerd, images_cleaned, context):
    """FROM scratch: a bare ` ---> `, and the metadata steps still make a container (of no image, never started)."""
    (context / "Dockerfile").write_text(SCRATCH_DOCKERFILE)
    for first_step in (" ---> Running in <id>", " ---> Using cache"):
        ours, theirs = build_lines(ph, context), build_lines(dockerd, context)
        assert ours[3:6] == [" ---> ", "Step 2/5 : ENV A=1", first_step]
        assert ours == theirs


def test_rm_false_in_a_scratch_stage_keeps_dockers_containers(ph, dockerd, images_cleaned, context):
    """The ENV step's container, of no image, is kept as any other; started, it finds no shell, as Docker's."""
    (context / "Dockerfile").write_text(SCRATCH_DOCKERFILE)
    with kept_step_containers(ph, context) as ours, kept_step_containers(dockerd, context) as theirs:
        assert len(ours) == len(theirs) == 3
        for daemon, kept in ((ph, ours), (dockerd, theirs)):
            started = daemon.docker("start", *kept)
            assert started.returncode != 0
            assert 'exec: "/bin/sh": stat /bin/sh: no such file or directory' in started.stderr.decode()


def test_add_of_a_url_and_of_a_local_archive_read_as_dockers_history(ph, dockerd, images_cleaned, context):
    """ADD of a URL (a file named from the URL, mode 0600, mtime from Last-Modified) and ADD of a local tar
    (unpacked): the checksums in history are Docker's tarsums of what was added, a download's without `file:`."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for name, body in (("inside/a.txt", b"a\n"), ("inside/b.txt", b"bb\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(body), 1_500_000_000
            tar.addfile(info, io.BytesIO(body))
    (context / "local.tar").write_bytes(archive.getvalue())
    with served_files() as (served, base):
        served["/data/notes.txt"] = b"version 1\n"
        served["/dl/app.tar"] = archive.getvalue()
        (context / "Dockerfile").write_text(
            f"FROM busybox\nADD {base}/data/notes.txt /srv/\nADD {base}/dl/app.tar /srv/renamed.tar\n"
            "ADD local.tar /unpacked/\nADD a.txt local.tar /both/\n"
        )
        build_lines(ph, context)
        build_lines(dockerd, context)
        ours, theirs = history(ph), history(dockerd)
    assert any(re.fullmatch(r"/bin/sh -c #\(nop\) ADD [0-9a-f]{64} in /srv/ ", line) for line in theirs)
    assert ours == theirs  # the imported base's too: no created_by
