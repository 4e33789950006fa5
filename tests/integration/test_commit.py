"""`docker commit` through the docker CLI and docker-py: message, author, --change lines, the container paused
while its layer is read (and not with --pause=false), deletions carried as whiteouts, an unchanged container
committed as an empty layer, bad changes refused before anything is made."""

import json
import time

import pytest

pytestmark = pytest.mark.root


def commit_events(ph, container_id: str, since: float) -> list[str]:
    """The pause, unpause and commit events of the container since `since`, in order."""
    result = ph.docker(
        "events",
        "--since",
        f"{since:.3f}",
        "--until",
        f"{time.time():.3f}",
        "--filter",
        f"container={container_id}",
        *("--filter", "event=pause", "--filter", "event=unpause", "--filter", "event=commit"),
        "--format",
        "{{.Action}}",
        check=True,
    )
    return result.stdout.decode().split()


def test_commit_with_message_author_and_changes(ph, client, images_cleaned):
    c = client.containers.run(
        "busybox", ["sh", "-c", "echo made > /made.txt && rm /etc/group && sleep 300"], detach=True, environment=["A=1"]
    )
    ph.docker("exec", c.id, "test", "-f", "/made.txt", check=True)
    since = time.time() - 1
    ph.docker(
        "commit",
        "-m",
        "the message",
        "-a",
        "Someone <s@example.org>",
        "-c",
        "ENV B=2",
        "-c",
        'CMD ["cat", "/made.txt"]',
        "-c",
        "EXPOSE 8080",
        "-c",
        "LABEL stage=committed",
        "-c",
        "WORKDIR /work",
        "-c",
        "USER 1000",
        c.id,
        "committed:v1",
        check=True,
    )
    detail = json.loads(ph.docker("image", "inspect", "committed:v1", check=True).stdout)[0]
    config = detail["Config"]
    assert config["Env"] == ["A=1", "B=2"]
    assert config["Cmd"] == ["cat", "/made.txt"]
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    assert config["Labels"] == {"stage": "committed"}
    assert config["WorkingDir"] == "/work" and config["User"] == "1000"
    assert detail["Author"] == "Someone <s@example.org>" and detail["Comment"] == "the message"
    assert detail["Parent"] == client.images.get("busybox").id
    assert len(detail["RootFS"]["Layers"]) == 2
    history = ph.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", "committed:v1", check=True)
    assert (
        history.stdout.decode().splitlines()[0]
        == "sh -c echo made > /made.txt && rm /etc/group && sleep 300|the message"
    )
    assert ph.docker("run", "--rm", "committed:v1", check=True).stdout == b"made\n"
    gone = ph.docker("run", "--rm", "committed:v1", "ls", "/etc/group")
    assert gone.returncode != 0  # the deletion went into the layer as a whiteout
    assert commit_events(ph, c.id, since) == ["pause", "unpause", "commit"]
    assert client.containers.get(c.id).status == "running"


def test_commit_without_pausing_and_of_a_paused_container(ph, client, images_cleaned):
    c = client.containers.run("busybox", ["sleep", "300"], detach=True)
    since = time.time() - 1
    ph.docker("commit", "--pause=false", c.id, "nopause", check=True)
    assert commit_events(ph, c.id, since) == ["commit"]
    c.pause()
    ph.docker("commit", c.id, "whilepaused", check=True)
    assert client.containers.get(c.id).status == "paused"  # a paused container stays paused


def test_unchanged_container_commits_an_empty_layer(ph, client, images_cleaned):
    c = client.containers.run("busybox", ["true"], detach=True)
    c.wait(timeout=30)
    image = c.commit("unchanged", "1")
    assert image.attrs["RootFS"]["Layers"] == client.images.get("busybox").attrs["RootFS"]["Layers"]
    sizes = ph.docker("history", "--format", "{{.Size}}", "unchanged:1", check=True).stdout.decode().split()
    assert sizes[0] == "0B"


def test_docker_py_commit_with_a_config_and_changes(ph, client, images_cleaned):
    c = client.containers.run("busybox", ["sh", "-c", "echo py > /py.txt"], detach=True, environment=["KEEP=yes"])
    c.wait(timeout=30)
    image = c.commit("pycommit", "t", message="m", conf={"Cmd": ["cat", "/py.txt"]}, changes=["ENV ADDED=1"])
    config = image.attrs["Config"]
    assert config["Cmd"] == ["cat", "/py.txt"]
    assert config["Env"] == ["ADDED=1", "KEEP=yes"]  # the request's config, then the container's (moby's merge)
    assert client.containers.run("pycommit:t", remove=True) == b"py\n"


def test_bad_change_and_bad_names_are_refused_with_nothing_made(ph, client, images_cleaned):
    c = client.containers.run("busybox", ["sh", "-c", "echo x > /x"], detach=True)
    c.wait(timeout=30)
    before = len(client.images.list(all=True))
    result = ph.docker("commit", "-c", "FROM scratch", c.id, "bad:1")
    assert result.returncode != 0 and "from is not a valid change command" in result.stderr.decode()
    result = ph.docker("commit", c.id, "Bad Name")
    assert result.returncode != 0 and "invalid reference format" in result.stderr.decode()
    result = ph.docker("commit", "no-such-container", "x")
    assert result.returncode != 0 and "No such container: no-such-container" in result.stderr.decode()
    assert len(client.images.list(all=True)) == before
