"""`docker ps` and docker-py's containers.list: -a, -q, --filter status, name, label (and id, exited)."""

import docker
import pytest

pytestmark = pytest.mark.root


@pytest.fixture
def three(ph, client):
    """One running, one exited (code 3), one created container, with labels to filter on."""
    running = client.containers.run(
        "busybox", ["sleep", "60"], detach=True, name="web-1", labels={"tier": "web", "env": "prod"}
    )
    exited = client.containers.run(
        "busybox", ["sh", "-c", "exit 3"], detach=True, name="job-1", labels={"tier": "batch"}
    )
    assert exited.wait(timeout=10)["StatusCode"] == 3
    created = client.containers.create("busybox", ["true"], name="web-2", labels={"tier": "web"})
    return running.id, exited.id, created.id


def _ids(result) -> list[str]:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().split()


def test_ps_lists_running_containers_only_and_ps_a_lists_all(ph, three):
    running, exited, created = three
    assert _ids(ph.docker("ps", "-q")) == [running[:12]]
    assert sorted(_ids(ph.docker("ps", "-aq"))) == sorted(c[:12] for c in three)
    assert sorted(_ids(ph.docker("ps", "-aq", "--no-trunc"))) == sorted(three)


def test_ps_a_lists_newest_first(ph, three):
    running, exited, created = three
    assert _ids(ph.docker("ps", "-aq")) == [created[:12], exited[:12], running[:12]]


def test_ps_status_column_says_up_exited_and_created(ph, three):
    out = ph.docker("ps", "-a", "--format", "{{.Names}} {{.Status}}", check=True).stdout.decode()
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    assert lines["web-1"].startswith("Up ")
    assert lines["job-1"].startswith("Exited (3) ")
    assert lines["web-2"] == "Created"


@pytest.mark.parametrize(
    ("status", "expected"),
    [("running", ["web-1"]), ("exited", ["job-1"]), ("created", ["web-2"]), ("paused", [])],
)
def test_filter_by_status(ph, client, three, status, expected):
    cli = ph.docker("ps", "-a", "--filter", f"status={status}", "--format", "{{.Names}}", check=True)
    assert sorted(cli.stdout.decode().split()) == expected
    assert sorted(c.name for c in client.containers.list(all=True, filters={"status": status})) == expected


def test_status_filter_without_all_still_lists_stopped_containers(ph, three):
    # Docker: a status filter implies -a
    assert ph.docker("ps", "--filter", "status=exited", "--format", "{{.Names}}").stdout == b"job-1\n"


def test_filter_by_name_matches_a_substring(ph, client, three):
    cli = ph.docker("ps", "-a", "--filter", "name=web", "--format", "{{.Names}}", check=True)
    assert sorted(cli.stdout.decode().split()) == ["web-1", "web-2"]
    assert [c.name for c in client.containers.list(all=True, filters={"name": "job"})] == ["job-1"]


def test_filter_by_label_key_and_key_value(ph, client, three):
    by_key = ph.docker("ps", "-a", "--filter", "label=tier", "--format", "{{.Names}}", check=True)
    assert sorted(by_key.stdout.decode().split()) == ["job-1", "web-1", "web-2"]
    by_value = ph.docker("ps", "-a", "--filter", "label=tier=web", "--format", "{{.Names}}", check=True)
    assert sorted(by_value.stdout.decode().split()) == ["web-1", "web-2"]
    both = client.containers.list(all=True, filters={"label": ["tier=web", "env=prod"]})
    assert [c.name for c in both] == ["web-1"]


def test_filters_of_different_keys_all_apply(ph, three):
    out = ph.docker(
        "ps", "-a", "--filter", "label=tier=web", "--filter", "status=created", "--format", "{{.Names}}", check=True
    )
    assert out.stdout == b"web-2\n"


def test_filter_by_id_prefix_and_exit_code(ph, client, three):
    running, exited, _ = three
    assert _ids(ph.docker("ps", "-aq", "--filter", f"id={exited[:8]}")) == [exited[:12]]
    assert [c.id for c in client.containers.list(all=True, filters={"exited": "3"})] == [exited]


def test_unknown_filter_is_refused(ph):
    result = ph.docker("ps", "--filter", "colour=red")
    assert result.returncode != 0
    assert b"invalid filter 'colour'" in result.stderr


def test_ps_shows_image_command_and_labels(ph, three):
    out = ph.docker("ps", "--no-trunc", "--format", '{{.Image}}|{{.Command}}|{{.Label "tier"}}', check=True)
    assert out.stdout == b'busybox|"sleep 60"|web\n'


def test_ps_quotes_arguments_holding_spaces_as_docker_does(ph, client, three):
    out = ph.docker("ps", "-a", "--no-trunc", "--filter", "name=job-1", "--format", "{{.Command}}", check=True)
    assert out.stdout == b"\"sh -c 'exit 3'\"\n"
    assert client.api.containers(all=True, filters={"name": "job-1"})[0]["Command"] == "sh -c 'exit 3'"


def test_last_n_lists_the_newest(ph, three):
    running, exited, created = three
    assert _ids(ph.docker("ps", "-q", "-n", "2")) == [created[:12], exited[:12]]


def _names(ph, *filters: str) -> list[str]:
    args = [arg for f in filters for arg in ("--filter", f)]
    result = ph.docker("ps", "-a", *args, "--format", "{{.Names}}")
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().split()


def test_ancestor_matches_normalised_references_and_images_built_on_it(ph, client, three):
    assert _names(ph, "ancestor=busybox:latest") == ["web-2", "job-1", "web-1"]
    assert _names(ph, "ancestor=busybox") == ["web-2", "job-1", "web-1"]
    ph.docker("commit", "web-1", "derived:1", check=True)
    client.containers.create("derived:1", ["true"], name="child")
    assert _names(ph, "ancestor=busybox")[0] == "child"  # committed FROM busybox: a descendant
    assert _names(ph, "ancestor=derived:1") == ["child"]
    assert _names(ph, "ancestor=no-such-image") == []


def test_before_and_since_cut_the_list_at_a_container_named_or_given_by_id(ph, three):
    running, exited, created = three
    assert _names(ph, "before=job-1") == ["web-1"]
    assert _names(ph, f"since={exited}") == ["web-2"]
    assert _names(ph, "since=web-1", "before=web-2") == ["job-1"]
    for ref in ("nosuch", running[:12]):  # moby's view knows a full id or a name, no prefix
        missing = ph.docker("ps", "--filter", f"before={ref}")
        assert missing.returncode == 1
        assert missing.stderr == f"Error response from daemon: no such container {ref}\n".encode()


def test_volume_filter_by_name_and_by_destination(ph, client, three):
    client.containers.create("busybox", ["true"], name="with-vol", volumes=["listvol:/data"])
    assert _names(ph, "volume=listvol") == ["with-vol"]
    assert _names(ph, "volume=/data") == ["with-vol"]
    assert _names(ph, "volume=/elsewhere") == []


def test_is_task_filter_and_bad_filter_values_are_refused_as_docker_does(ph, client, three):
    assert _names(ph, "is-task=false") == ["web-2", "job-1", "web-1"]
    assert _names(ph, "is-task=true") == []
    with pytest.raises(docker.errors.APIError) as refused:
        client.containers.list(all=True, filters={"exited": "abc"})
    assert refused.value.status_code == 400
    assert refused.value.explanation == 'strconv.Atoi: parsing "abc": invalid syntax'
    with pytest.raises(docker.errors.APIError) as refused:
        client.containers.list(all=True, filters={"is-task": "maybe"})
    assert refused.value.status_code == 400
    assert refused.value.explanation == "invalid filter 'is-task=[maybe]'"
