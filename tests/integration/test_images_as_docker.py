"""Images as Docker's daemon (20.10) answers, where an audit found porthole differing: rmi of an image other
images are built on, and `docker images` filters."""

import time
from pathlib import Path

import docker
import pytest

from common.rfc3339 import NEVER, parse_ns

pytestmark = pytest.mark.root


def build(ph, context: Path, dockerfile: str, tag: str) -> str:
    """Builds `dockerfile` as `tag`; returns the image's id."""
    context.mkdir(exist_ok=True)
    (context / "Dockerfile").write_text(dockerfile)
    ph.docker("build", "-q", "-t", tag, str(context), timeout=180, check=True)
    return ph.docker("image", "inspect", "-f", "{{.Id}}", tag, check=True).stdout.decode().strip()


def test_rmi_of_a_parent_image_is_refused_even_forced_and_by_tag_only_untags(ph, client, images_cleaned, tmp_path):
    parent = build(ph, tmp_path / "parent", "FROM busybox\nLABEL dpy=1\n", "dpy:1")
    build(ph, tmp_path / "child", "FROM dpy:1\nLABEL child=1\n", "dpychild:1")
    refusal = f"conflict: unable to delete {parent[7:19]} (cannot be forced) - image has dependent child images"
    for args in (["rmi", parent], ["rmi", "-f", parent]):
        result = ph.docker(*args)
        assert result.returncode == 1
        assert refusal in result.stderr.decode()
    with pytest.raises(docker.errors.APIError) as refused:
        client.images.remove(parent, force=True)
    assert refused.value.status_code == 409

    assert ph.docker("rmi", "dpy:1", check=True).stdout.decode() == "Untagged: dpy:1\n"
    assert client.images.get(parent).tags == []
    history = ph.docker("history", "-q", "dpychild:1", check=True).stdout.decode().split()
    assert "<missing>" not in history and parent[7:19] in history


def listed(ph, *filters: str) -> set[str]:
    args = [a for f in filters for a in ("--filter", f)]
    out = ph.docker("images", *args, "--format", "{{.Repository}}:{{.Tag}}", check=True).stdout.decode()
    return set(out.split())


def test_images_before_and_since_keep_the_images_created_before_or_after(ph, images_cleaned, busybox_rootfs):
    for name in ("old:1", "mid:1", "new:1"):  # one after the other: each created later than the one before
        ph.docker("import", "-c", f"LABEL name={name}", str(busybox_rootfs), name, check=True)
    ours = {"old:1", "mid:1", "new:1"}
    assert listed(ph, "before=mid:1") & ours == {"old:1"}
    assert listed(ph, "since=mid:1") == {"new:1"}
    assert listed(ph, "since=old:1", "before=new:1") == {"mid:1"}
    unknown = ph.docker("images", "--filter", "before=nonexist")
    assert unknown.returncode == 1
    assert "No such image: nonexist:latest" in unknown.stderr.decode()


@pytest.mark.parametrize(
    "filters, message",
    [({"foo": "bar"}, "Invalid filter 'foo'"), ({"dangling": "maybe"}, "Invalid filter 'dangling=[maybe]'")],
)
def test_images_refuses_unknown_filters_and_bad_values(ph, client, filters, message):
    key, value = next(iter(filters.items()))
    result = ph.docker("images", "--filter", f"{key}={value}")
    assert result.returncode == 1
    assert message in result.stderr.decode()
    with pytest.raises(docker.errors.APIError) as refused:
        client.images.list(filters=filters)
    assert refused.value.status_code == 400


GO_CONFIG_KEYS = [  # container.Config's fields Go always writes, in its order (the others are omitempty)
    "Hostname",
    "Domainname",
    "User",
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "Tty",
    "OpenStdin",
    "StdinOnce",
    "Env",
    "Cmd",
    "Image",
    "Volumes",
    "WorkingDir",
    "Entrypoint",
    "OnBuild",
    "Labels",
]


def test_image_config_carries_every_key_docker_writes(ph, client, images_cleaned):
    template = "{{.Config.Hostname}}|{{.Config.Tty}}|{{.Config.OpenStdin}}|{{.Config.Image}}"
    assert ph.docker("image", "inspect", "-f", template, "busybox", check=True).stdout == b"|false|false|\n"
    assert list(client.api.inspect_image("busybox")["Config"]) == GO_CONFIG_KEYS
    client.containers.create("busybox", ["true"], name="committed")
    ph.docker("commit", "committed", "committed:1", check=True)
    assert list(client.api.inspect_image("committed:1")["Config"]) == GO_CONFIG_KEYS  # no null Healthcheck, Shell


def test_last_tag_time_is_when_the_image_was_last_tagged(ph, client, images_cleaned, busybox_rootfs):
    untagged = ph.docker("import", "-c", "LABEL t=0", str(busybox_rootfs), check=True).stdout.decode().strip()
    assert client.api.inspect_image(untagged)["Metadata"]["LastTagTime"] == NEVER
    ph.docker("import", "-c", "LABEL t=1", str(busybox_rootfs), "tagged:1", check=True)
    imported = client.api.inspect_image("tagged:1")["Metadata"]["LastTagTime"]
    assert imported != NEVER
    ph.docker("tag", "tagged:1", "tagged:2", check=True)
    retagged = client.api.inspect_image("tagged:1")["Metadata"]["LastTagTime"]
    assert parse_ns(retagged) > parse_ns(imported)


def test_image_events_name_the_image_and_carry_its_labels_as_docker(ph, client, images_cleaned, busybox_rootfs):
    since = time.time()
    image_id = client.images.get("busybox").id
    ph.docker("tag", "busybox", "aud:tag", check=True)
    ph.docker("rmi", "aud:tag", check=True)
    imported = ph.docker("import", "-c", "LABEL z=1", str(busybox_rootfs), "imp:1", check=True).stdout.decode().strip()
    saved = ph.docker("save", "imp:1", check=True).stdout
    ph.docker("rmi", "imp:1", check=True)
    ph.docker("load", input=saved, check=True)
    events = client.events(since=since, until=time.time(), filters={"type": "image"}, decode=True)
    seen = [(e["Action"], e["Actor"]["ID"], e["Actor"]["Attributes"]) for e in events]
    assert seen == [
        ("tag", image_id, {"name": "aud:tag"}),
        ("untag", image_id, {"name": image_id}),
        ("tag", imported, {"name": "imp:1", "z": "1"}),
        ("import", imported, {"name": imported, "z": "1"}),
        ("save", imported, {"name": imported, "z": "1"}),
        ("untag", imported, {"name": imported, "z": "1"}),
        ("delete", imported, {"name": imported}),
        ("load", imported, {"name": imported, "z": "1"}),
    ]


def test_commit_with_a_name_sends_the_images_tag_event_before_the_containers_commit(ph, client, images_cleaned):
    ph.docker("run", "--name", "to-commit", "busybox", "true", check=True)
    since = time.time()
    ph.docker("commit", "to-commit", "committed:1", check=True)
    events = client.events(since=since, until=time.time(), decode=True)
    seen = [(e["Type"], e["Action"], e["Actor"]["Attributes"].get("name")) for e in events]
    assert seen == [("image", "tag", "committed:1"), ("container", "commit", "to-commit")]
