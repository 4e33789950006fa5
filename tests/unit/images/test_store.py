"""The image store: import, resolve, tag, load, save, rmi, holds, restart (root: layers are extracted)."""

import gzip
import io
import json
import os
import tarfile
import threading

import pytest

from runtime.api.shapes import images as shapes
from runtime.errors import Conflict, InvalidParameter, NotFound
from runtime.images.archives import ImageArchives
from runtime.images.imageconfig import host_architecture
from runtime.images.store import ImageStore, ImageUser
from tests.support.imagetars import (
    digest,
    directory,
    file,
    image_config,
    legacy_save_archive,
    oci_archive_nested,
    symlink,
    tar_bytes,
)

pytestmark = pytest.mark.root

LAYER_A = tar_bytes([directory("etc"), file("etc/os-release", b"ID=test\n")])
LAYER_B = tar_bytes([file("app", b"#!/bin/sh\necho app\n", mode=0o755)])


@pytest.fixture
def root(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def store(root):
    return ImageStore(root)


def nobody_uses(image_id: str) -> None:
    return None


def leftovers(root) -> list[str]:
    return os.listdir(root / "tmp")


def import_tar(store: ImageStore, data: bytes, reference: str | None = "busybox", **kwargs):
    return ImageArchives(store).import_rootfs(io.BytesIO(data), reference, **kwargs)


def load(store: ImageStore, stream) -> list[str]:
    """`docker load`'s lines, as the API renders what the store loaded."""
    return shapes.load_lines(ImageArchives(store).load(stream))


def rmi(store: ImageStore, reference: str, **kwargs) -> list[dict]:
    """`docker rmi`'s answer, as the API renders what the store removed."""
    return [shapes.removal(item) for item in store.remove(reference, **kwargs)]


def test_import_builds_dockers_config_and_reports_progress(store):
    seen = []
    image = import_tar(store, LAYER_A, "me/base:1", changes=["CMD sh", "ENV A=1"], message="hi", progress=seen.append)
    assert image.repo_tags == ["me/base:1"]
    assert image.id == digest(store._index.config_bytes(image.id))
    assert image.config["architecture"] == host_architecture() and image.config["os"] == "linux"
    assert image.config["rootfs"] == {"type": "layers", "diff_ids": [digest(LAYER_A)]}
    assert image.config["history"][0]["comment"] == "hi" and "created_by" not in image.config["history"][0]
    assert image.config["config"]["Cmd"] == ["/bin/sh", "-c", "sh"] and image.config["config"]["Env"] == ["A=1"]
    assert image.size == len(b"ID=test\n")
    assert seen == sorted(seen) and seen[-1] == len(LAYER_A)
    assert (store.layer_paths(image)[0] / "etc/os-release").read_bytes() == b"ID=test\n"


def test_import_without_changes_has_no_cmd_and_default_comment(store):
    image = import_tar(store, LAYER_A, None)
    assert image.repo_tags == []
    assert image.config["config"]["Cmd"] is None
    assert image.config["comment"] == "Imported from -"


@pytest.mark.parametrize(
    ("reference", "changes", "message"),
    [
        ("Busy", (), "repository name (library/Busy) must be lowercase"),
        ("ok", ("RUN x",), "run is not a valid change command"),
    ],
)
def test_bad_import_requests_fail_before_reading_and_leave_nothing(store, root, reference, changes, message):
    upload = io.BytesIO(LAYER_A)
    with pytest.raises(InvalidParameter) as caught:
        ImageArchives(store).import_rootfs(upload, reference, changes=changes)
    assert message in caught.value.message
    assert upload.tell() == 0
    assert store.list() == [] and leftovers(root) == [] and os.listdir(root / "layers/sha256") == []


def test_bad_tar_import_leaves_nothing(store, root):
    with pytest.raises(InvalidParameter):
        import_tar(store, tar_bytes([file("ok"), file("../escape")]))
    assert store.list() == [] and leftovers(root) == [] and os.listdir(root / "layers/sha256") == []


def test_layers_are_shared_and_collected_with_the_last_image(store, root):
    first = import_tar(store, LAYER_A, "one")
    second = import_tar(store, LAYER_A, "two", changes=["CMD x"])
    assert first.id != second.id
    assert os.listdir(root / "layers/sha256") == [digest(LAYER_A).removeprefix("sha256:")]
    assert rmi(store, "one", force=False, in_use_by=nobody_uses) == [
        {"Untagged": "one:latest"},
        {"Deleted": first.id},
    ]
    assert store.layer_paths(second)[0].is_dir()
    records = rmi(store, "two", force=False, in_use_by=nobody_uses)
    assert records[-1] == {"Deleted": digest(LAYER_A)}
    assert os.listdir(root / "layers/sha256") == []


def test_resolve_forms(store):
    image = import_tar(store, LAYER_A, "busybox")
    hex_id = image.id.removeprefix("sha256:")
    for text in (
        "busybox",
        "busybox:latest",
        "library/busybox",
        "docker.io/library/busybox:latest",
        image.id,
        hex_id,
        hex_id[:1],
        f"sha256:{hex_id[:5]}",
    ):
        assert store.resolve(text).id == image.id, text
    with pytest.raises(NotFound, match="^No such image: nope:latest$"):
        store.resolve("nope")
    with pytest.raises(NotFound, match="^No such image: busybox:old$"):
        store.resolve("busybox:old")
    with pytest.raises(NotFound, match=f"No such image: sha256:{'0' * 64}"):
        store.resolve("0" * 64)
    with pytest.raises(InvalidParameter, match="must be lowercase"):
        store.resolve("BusyBox")


def test_ambiguous_id_prefix_is_not_found(store):
    images = [import_tar(store, LAYER_A, f"n{i}", changes=[f"ENV I={i}"]) for i in range(20)]
    first_chars = [i.id[7] for i in images]
    shared = next(c for c in first_chars if first_chars.count(c) > 1)
    with pytest.raises(NotFound):
        store.resolve(shared)


def test_tag_moves_names_and_refuses_bad_ones(store):
    first = import_tar(store, LAYER_A, "app:1")
    second = import_tar(store, LAYER_B, "other")
    store.tag("app:1", "app", "latest")
    store.tag("other", "app", "1")
    assert store.resolve("app").id == first.id and store.resolve("app:1").id == second.id
    assert store.resolve(first.id).repo_tags == ["app:latest"]
    with pytest.raises(InvalidParameter, match="invalid tag format"):
        store.tag("app", "app", "bad tag")
    with pytest.raises(NotFound):
        store.tag("missing", "app", "x")


def test_load_legacy_docker_save(store):
    config = image_config([LAYER_A, LAYER_B], cmd=["/app"])
    lines = load(store, io.BytesIO(legacy_save_archive(config, [LAYER_A, LAYER_B], ["busybox:latest", "me/app:2"])))
    assert lines == ["Loaded image: busybox:latest", "Loaded image: me/app:2"]
    image = store.resolve("me/app:2")
    assert image.id == digest(config)
    assert image.repo_tags == ["busybox:latest", "me/app:2"]
    assert [p.joinpath("app").exists() for p in store.layer_paths(image)] == [False, True]
    image = store.resolve("busybox")
    history = shapes.history(image, store.layer_sizes(image))
    assert [h["CreatedBy"] for h in history] == ["layer 1", "layer 0"]
    assert history[0]["Id"] == image.id and history[1]["Id"] == "<missing>"


def test_load_legacy_archive_with_symlinked_layer_and_gzip_everything(store):
    # docker save writes a repeated layer as a symlink to the first copy; docker load accepts a gzipped archive.
    config = image_config([LAYER_A, LAYER_A])
    manifest = [{"Config": "c.json", "RepoTags": ["twice:1"], "Layers": ["l0/layer.tar", "l1/layer.tar"]}]
    archive = tar_bytes(
        [
            file("l0/layer.tar", gzip.compress(LAYER_A)),
            symlink("l1/layer.tar", "../l0/layer.tar"),
            file("c.json", config),
            file("manifest.json", json.dumps(manifest).encode()),
        ]
    )
    assert load(store, io.BytesIO(gzip.compress(archive))) == ["Loaded image: twice:1"]
    assert store.resolve("twice:1").diff_ids == [digest(LAYER_A)] * 2


def test_load_refuses_link_loops(store, root):
    manifest = [{"Config": "c.json", "RepoTags": None, "Layers": []}]
    archive = tar_bytes(
        [symlink("c.json", "d.json"), symlink("d.json", "c.json"), file("manifest.json", json.dumps(manifest).encode())]
    )
    with pytest.raises(InvalidParameter, match="archive member 'c.json': too many levels of links"):
        load(store, io.BytesIO(archive))
    assert leftovers(root) == []


def test_load_oci_layout_with_gzip_layers_and_nested_index(store):
    config = image_config([LAYER_A, LAYER_B])
    data = oci_archive_nested(config, [LAYER_A, LAYER_B], "docker.io/library/nested:v1", host_architecture())
    assert load(store, io.BytesIO(data)) == ["Loaded image: nested:v1"]
    assert store.resolve("nested:v1").id == digest(config)


def test_load_untagged_oci_and_retag_message(store):
    config = image_config([LAYER_A])
    assert load(store, io.BytesIO(oci_archive_nested(config, [LAYER_A], None, host_architecture()))) == [
        f"Loaded image ID: {digest(config)}"
    ]
    old = import_tar(store, LAYER_B, "busybox")
    lines = load(store, io.BytesIO(legacy_save_archive(config, [LAYER_A], ["busybox:latest"])))
    assert lines == [
        f"The image busybox:latest already exists, renaming the old one with ID {old.id} to empty string",
        "Loaded image: busybox:latest",
    ]
    assert store.resolve(old.id).repo_tags == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "images: load: archive is empty"),
        (b"garbage" * 200, "images: load: not a valid tar archive"),
        (tar_bytes([file("hello")]), "neither manifest.json nor index.json found"),
        (tar_bytes([file("manifest.json", b"{")]), "archive member 'manifest.json': not valid JSON"),
        (
            legacy_save_archive(image_config([LAYER_A]), [LAYER_B], ["x:1"]),
            f"does not match the diff_id {digest(LAYER_A)}",
        ),
        (
            legacy_save_archive(image_config([LAYER_A, LAYER_B]), [LAYER_A], ["x:1"]),
            "the config names 2 layers but the manifest lists 1",
        ),
        (
            oci_archive_nested(image_config([LAYER_A]), [LAYER_A], "x", "riscv64-nothing"),
            f"no manifest for linux/{host_architecture()}",
        ),
    ],
)
def test_bad_archives_are_refused_and_leave_nothing(store, root, data, message):
    with pytest.raises(InvalidParameter) as caught:
        load(store, io.BytesIO(data))
    assert message in caught.value.message
    assert store.list() == [] and leftovers(root) == [] and os.listdir(root / "layers/sha256") == []


def test_save_then_load_keeps_ids_tags_and_layers(store, tmp_path):
    base = import_tar(store, LAYER_A, "base:1")
    store.tag("base:1", "base", "2")
    config = image_config([LAYER_A, LAYER_B])
    load(store, io.BytesIO(legacy_save_archive(config, [LAYER_A, LAYER_B], ["app:latest"])))
    out = io.BytesIO()
    ImageArchives(store).save(["base", "app"], out)

    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as archive:
        names = archive.getnames()
        for name in names:
            if name.startswith("blobs/sha256/") and archive.getmember(name).isfile():
                assert digest(archive.extractfile(name).read()) == "sha256:" + name.rsplit("/", 1)[1]
        index = json.load(archive.extractfile("index.json"))
        manifest = json.load(archive.extractfile("manifest.json"))
    assert {"oci-layout", "index.json", "manifest.json", "repositories"} <= set(names)
    assert sorted(d["annotations"]["io.containerd.image.name"] for d in index["manifests"]) == [
        "docker.io/library/app:latest",
        "docker.io/library/base:1",
        "docker.io/library/base:2",
    ]
    assert sorted(tag for entry in manifest for tag in entry["RepoTags"]) == ["app:latest", "base:1", "base:2"]

    other = ImageStore(tmp_path / "other")
    lines = load(other, io.BytesIO(out.getvalue()))
    assert sorted(lines) == ["Loaded image: app:latest", "Loaded image: base:1", "Loaded image: base:2"]
    assert other.resolve("base:2").id == base.id
    assert other.resolve("app").id == digest(config)
    assert other.resolve("app").size == store.resolve("app").size


def test_save_by_id_has_no_tags_and_unknown_names_are_not_found(store):
    image = import_tar(store, LAYER_A, "busybox")
    out = io.BytesIO()
    ImageArchives(store).save([image.id[7:19]], out)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as archive:
        assert json.load(archive.extractfile("manifest.json"))[0]["RepoTags"] is None
    with pytest.raises(NotFound):
        ImageArchives(store).save(["nothing"], io.BytesIO())


RUNNING = "conflict: unable to delete {short} (cannot be forced) - image is being used by running container " + "c" * 12
STOPPED = "conflict: unable to delete {short} (must be forced) - image is being used by stopped container " + "c" * 12


def user(running: bool):
    return lambda image_id: ImageUser("c" * 64, running)


def test_rmi_by_name_only_untags_when_other_tags_remain(store):
    # Names with letters beyond hex: "a" could be a prefix of the (random) image id, which rmi takes as the id.
    image = import_tar(store, LAYER_A, "one")
    store.tag("one", "two", None)
    assert rmi(store, "one", force=False, in_use_by=user(True)) == [{"Untagged": "one:latest"}]
    assert store.resolve(image.id).repo_tags == ["two:latest"]


def test_rmi_by_name_in_use_needs_force(store):
    image = import_tar(store, LAYER_A, "busybox")
    with pytest.raises(Conflict) as caught:
        rmi(store, "busybox", force=False, in_use_by=user(False))
    assert caught.value.message == (
        'conflict: unable to remove repository reference "busybox" (must force) - container '
        f"cccccccccccc is using its referenced image {image.short_id}"
    )
    assert store.resolve("busybox").id == image.id


def test_rmi_force_by_name_with_running_container_only_untags(store):
    image = import_tar(store, LAYER_A, "busybox")
    assert rmi(store, "busybox", force=True, in_use_by=user(True)) == [{"Untagged": "busybox:latest"}]
    assert store.resolve(image.id).repo_tags == []


def test_rmi_force_by_name_with_stopped_container_deletes(store):
    image = import_tar(store, LAYER_A, "busybox")
    records = rmi(store, "busybox", force=True, in_use_by=user(False))
    assert records[:2] == [{"Untagged": "busybox:latest"}, {"Deleted": image.id}]


@pytest.mark.parametrize(
    ("running", "force", "tags", "message"),
    [
        (
            True,
            True,
            1,
            RUNNING,
        ),
        (
            False,
            False,
            1,
            STOPPED,
        ),
        (
            None,
            False,
            2,
            "conflict: unable to delete {short} (must be forced) - image is referenced in multiple repositories",
        ),
        (
            False,
            False,
            0,
            STOPPED,
        ),
    ],
)
def test_rmi_by_id_conflicts(store, running, force, tags, message):
    image = import_tar(store, LAYER_A, "a" if tags else None)
    if tags == 2:
        store.tag("a", "b", None)
    in_use = nobody_uses if running is None else user(running)
    with pytest.raises(Conflict) as caught:
        rmi(store, image.short_id, force=force, in_use_by=in_use)
    assert caught.value.message == message.format(short=image.short_id)
    assert store.resolve(image.id).id == image.id


def test_rmi_by_id_force_untags_every_tag_and_deletes(store, root):
    image = import_tar(store, LAYER_A, "a")
    store.tag("a", "b", "x")
    records = rmi(store, image.id, force=True, in_use_by=nobody_uses)
    assert records == [
        {"Untagged": "a:latest"},
        {"Untagged": "b:x"},
        {"Deleted": image.id},
        {"Deleted": digest(LAYER_A)},
    ]
    with pytest.raises(NotFound):
        rmi(store, image.id, force=True, in_use_by=nobody_uses)


def test_held_layers_outlive_a_forced_rmi(store, root):
    image = import_tar(store, LAYER_A, "busybox")
    store.hold_layers("c" * 64, image)
    rmi(store, "busybox", force=True, in_use_by=user(False))
    assert store.layer_paths(image)[0].joinpath("etc/os-release").exists()
    assert ImageStore(root).list() == []  # a restart keeps the held layer too
    assert store.layer_paths(image)[0].exists()
    store.release_layers("c" * 64)
    assert os.listdir(root / "layers/sha256") == []


def test_restart_keeps_images_and_cleans_leftovers(store, root):
    image = import_tar(store, LAYER_A, "busybox")
    (root / "tmp" / "layer-crashed").mkdir()
    (root / "tmp" / "layer-crashed" / "f").write_text("x")
    orphan = root / "layers/sha256" / ("d" * 64)
    orphan.mkdir()
    restarted = ImageStore(root)
    assert [i.id for i in restarted.list()] == [image.id]
    assert restarted.resolve("busybox").repo_tags == ["busybox:latest"]
    assert leftovers(root) == [] and not orphan.exists()


def test_concurrent_imports_of_one_layer_share_it(store, root):
    errors, images = [], []

    def work(index: int) -> None:
        try:
            images.append(import_tar(store, LAYER_A, f"img{index}", changes=[f"ENV N={index}"]))
        except Exception as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(images) == 6
    assert os.listdir(root / "layers/sha256") == [digest(LAYER_A).removeprefix("sha256:")]
    assert leftovers(root) == []
    assert sorted(tag for i in store.list() for tag in i.repo_tags) == sorted(f"img{i}:latest" for i in range(6))


def test_shapes(store):
    image = import_tar(store, LAYER_A, "busybox", changes=["LABEL a=b"])
    summary = shapes.summary(image)
    assert summary["RepoTags"] == ["busybox:latest"] and summary["Labels"] == {"a": "b"}
    assert summary["Created"] > 1_600_000_000 and summary["Size"] == image.size
    inspect = shapes.inspect(image, store.layer_paths(image))
    assert inspect["Id"] == image.id and inspect["RootFS"] == {"Type": "layers", "Layers": [digest(LAYER_A)]}
    assert inspect["Created"] == image.config["created"] and inspect["Config"]["Labels"] == {"a": "b"}
    assert inspect["GraphDriver"]["Data"]["UpperDir"] == str(store.layer_paths(image)[0])
