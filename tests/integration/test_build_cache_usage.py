"""`docker system df` and `docker builder prune` over the classic builder's cache, with the docker CLI and
docker-py: the cached steps listed with their sizes, what is shared with tagged images, the prune forgetting
every step and removing the step images nothing else needs, with the space it gave back."""

import json

import docker
import pytest

pytestmark = pytest.mark.root


@pytest.fixture
def images_cleaned(ph, client):
    yield
    ph.remove_everything()
    ph.docker("builder", "prune", "-f")
    for image in client.images.list(all=True):
        if "busybox:latest" not in image.tags:
            try:
                client.images.remove(image.id, force=True)
            except docker.errors.ImageNotFound:
                pass


def build(ph, context, *args):
    result = ph.docker("build", *args, str(context), timeout=180)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def test_df_lists_images_containers_volumes_and_cached_steps(ph, client, images_cleaned, tmp_path):
    (tmp_path / "Dockerfile").write_text('FROM busybox\nRUN head -c 300000 /dev/urandom > /blob\nCMD ["true"]\n')
    build(ph, tmp_path, "-t", "cached:1")
    client.containers.run("cached:1", ["sh", "-c", "echo 12345 > /written"], volumes=["/vol"])
    usage = client.df()
    image = next(i for i in usage["Images"] if "cached:1" in (i["RepoTags"] or []))
    assert image["Containers"] == 1 and image["SharedSize"] > 0  # busybox's layer is shared with busybox
    container = next(c for c in usage["Containers"] if c["Image"] == "cached:1")
    assert container["SizeRw"] == 6 and container["SizeRootFs"] == 6 + image["Size"]
    volume = next(v for v in usage["Volumes"] if v["UsageData"]["RefCount"] == 1)
    assert volume["UsageData"]["Size"] == 0
    steps = {r["Description"]: r for r in usage["BuildCache"]}
    run_step = steps["/bin/sh -c head -c 300000 /dev/urandom > /blob"]
    assert run_step["Size"] == 300000 and run_step["Shared"] and run_step["InUse"]  # the container holds it
    assert steps['/bin/sh -c #(nop)  CMD ["true"]']["Size"] == 0
    assert usage["LayersSize"] >= image["Size"]
    rows = ph.docker("system", "df", "--format", "{{.Type}}|{{.TotalCount}}|{{.Active}}", check=True)
    assert "Build Cache|2|1" in rows.stdout.decode().splitlines()  # two steps, one held by the container
    verbose = ph.docker("system", "df", "-v", check=True).stdout.decode()
    assert run_step["ID"][:12] in verbose  # the CLI's table shows 12 characters


def test_builder_prune_forgets_steps_and_reclaims_what_only_they_held(ph, client, images_cleaned, tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM busybox\nRUN head -c 200000 /dev/urandom > /one\nRUN echo first > /two\n")
    build(ph, tmp_path, "-t", "pruned:1")
    dockerfile.write_text("FROM busybox\nRUN head -c 200000 /dev/urandom > /one\nRUN echo second > /two\n")
    build(ph, tmp_path, "-t", "pruned:1")  # the first build's last step is no longer tagged: only the cache has it
    before = {r["Description"]: r for r in client.df()["BuildCache"]}
    assert not before["/bin/sh -c echo first > /two"]["Shared"]
    pruned = ph.docker("builder", "prune", "-f", check=True).stdout.decode()
    assert "Deleted build cache objects:" in pruned
    assert "Total reclaimed space: 6B" in pruned  # "first\n": the one layer only the cache held
    assert client.df()["BuildCache"] == []
    assert ph.docker("run", "--rm", "pruned:1", "cat", "/two", check=True).stdout == b"second\n"
    again = build(ph, tmp_path, "-t", "pruned:1")
    assert "Using cache" not in again  # forgotten: every step runs again
    empty = ph.docker("builder", "prune", "-f", check=True).stdout.decode()
    assert "Total reclaimed space: 0B" in empty
    refused = ph.docker("builder", "prune", "-f", "--filter", "until=24h")
    assert refused.returncode != 0 and "filters is not supported" in refused.stderr.decode()
    assert json.loads(ph.docker("image", "inspect", "pruned:1", check=True).stdout)[0]["Id"]
