"""Build features beyond the Dockerfile's text, with the docker CLI: ADD of a URL (served by a loopback server of
the test's: named from the URL, mode 0600, mtime from Last-Modified, hashed for the cache, never unpacked), the
predefined proxy args (seen by RUN, kept out of history and the image), and RUN steps under --network,
--add-host and --memory."""

import io
import re
import tarfile

import pytest

from tests.support.fileserver import LAST_MODIFIED, served_files

pytestmark = pytest.mark.root


@pytest.fixture
def files():
    with served_files() as (served, base):
        served["base"] = base.encode()
        yield served


def build(ph, context, *args, check=True):
    result = ph.docker("build", *args, str(context), timeout=180)
    if check:
        assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    return result


def test_add_of_a_url(ph, images_cleaned, files, tmp_path):
    base = files["base"].decode()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("inside.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"in\n"))
    files["/data/notes.txt"] = b"version 1\n"
    files["/dl/app.tar"] = archive.getvalue()
    (tmp_path / "Dockerfile").write_text(
        f"FROM busybox\nADD {base}/data/notes.txt /srv/\nADD {base}/dl/app.tar /srv/renamed.tar\n"
        "RUN stat -c '%a %Y' /srv/notes.txt > /srv/stat.txt\n"
    )
    first = build(ph, tmp_path, "-t", "url:1").stdout.decode()
    out = ph.docker("run", "--rm", "url:1", "sh", "-c", "cat /srv/notes.txt /srv/stat.txt; tar tf /srv/renamed.tar")
    assert out.stdout.decode() == f"version 1\n600 {LAST_MODIFIED}\ninside.txt\n"  # the archive stays an archive
    assert "Using cache" not in first
    again = build(ph, tmp_path, "-t", "url:1").stdout.decode()
    assert again.count("Using cache") == 3  # the same bytes downloaded: the same checksum
    files["/data/notes.txt"] = b"version 2\n"
    changed = build(ph, tmp_path, "-t", "url:1").stdout.decode()
    assert changed.count("Using cache") == 0  # the first ADD misses, and everything after it
    history = ph.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", "url:1", check=True).stdout.decode()
    assert re.search(r"#\(nop\) ADD [0-9a-f]{64} in /srv/ \n", history)  # a download: no `file:`, as Docker


def test_add_of_a_missing_url_and_copy_of_a_url_fail_clearly(ph, images_cleaned, files, tmp_path):
    base = files["base"].decode()
    (tmp_path / "Dockerfile").write_text(f"FROM busybox\nADD {base}/absent.txt /x\n")
    result = build(ph, tmp_path, check=False)
    assert result.returncode != 0
    assert f"failed to GET {base}/absent.txt with status 404" in result.stderr.decode()
    (tmp_path / "Dockerfile").write_text(f"FROM busybox\nCOPY {base}/a.txt /x\n")
    result = build(ph, tmp_path, check=False)
    assert result.returncode != 0 and "source can't be a URL for COPY" in result.stderr.decode()


def test_proxy_args_reach_run_but_not_history_or_the_image(ph, images_cleaned, tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nRUN echo proxy=$HTTP_PROXY > /proxy.txt\nARG no_proxy\nRUN true\n"
    )
    build(
        ph,
        tmp_path,
        "-t",
        "proxied",
        "--build-arg",
        "HTTP_PROXY=http://proxy.example:3128",
        "--build-arg",
        "no_proxy=x",
    )
    assert (
        ph.docker("run", "--rm", "proxied", "cat", "/proxy.txt", check=True).stdout
        == b"proxy=http://proxy.example:3128\n"
    )
    history = ph.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", "proxied", check=True).stdout.decode()
    assert "proxy.example" not in history  # predefined and undeclared: not in the step's record
    assert "|1 no_proxy=x /bin/sh -c true" in history  # declared with ARG: recorded as any build arg
    env = ph.docker("image", "inspect", "-f", "{{json .Config.Env}}", "proxied", check=True).stdout.decode()
    assert "proxy" not in env.lower()


def test_run_steps_honour_network_add_host_and_memory(ph, images_cleaned, tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nRUN cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' > /ifaces\n"
        "RUN grep myregistry /etc/hosts > /hosts\n"
    )
    build(ph, tmp_path, "-t", "flags", "--network", "none", "--add-host", "myregistry:10.9.8.7")
    out = ph.docker("run", "--rm", "flags", "cat", "/ifaces", "/hosts", check=True).stdout.decode().split()
    assert out[0] == "lo" and "eth0" not in out  # --network none: the step had loopback only
    assert out[-2:] == ["10.9.8.7", "myregistry"]
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN dd if=/dev/zero of=/dev/null bs=200M count=1\n")
    limited = build(ph, tmp_path, "--memory", "64m", "--memory-swap", "64m", check=False)
    assert limited.returncode != 0  # dd's 200 MB buffer: over 64 MB the step is killed
    assert "returned a non-zero code: 137" in limited.stderr.decode()
    build(ph, tmp_path, "--memory", "512m")  # the same step fits in more
