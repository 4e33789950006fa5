"""Docker's JSON shapes for images: GET /images/json items, /images/{name}/json, /images/{name}/history, the
items of DELETE /images/{name}, and the lines of POST /images/load."""

from pathlib import Path

from common.rfc3339 import NEVER
from runtime.images.image import Image
from runtime.images.imageconfig import created_seconds
from runtime.images.removal import Removal, Untagged
from runtime.images.store import LoadedImage

_OMITTED_WHEN_NIL = object()  # Go's `omitempty` on a pointer: left out when nil
_OMITTED_WHEN_EMPTY = object()  # on a bool, string, map or slice: left out when false, "" or empty

# moby's container.Config (api/types/container/config.go) as an image's Config renders it: every field in Go's
# order, with the zero value Go writes when the stored config lacks it (clients template on e.g. .Config.Hostname).
_IMAGE_CONFIG_FIELDS: dict[str, object] = {
    "Hostname": "",
    "Domainname": "",
    "User": "",
    "AttachStdin": False,
    "AttachStdout": False,
    "AttachStderr": False,
    "ExposedPorts": _OMITTED_WHEN_EMPTY,
    "Tty": False,
    "OpenStdin": False,
    "StdinOnce": False,
    "Env": None,
    "Cmd": None,
    "Healthcheck": _OMITTED_WHEN_NIL,
    "ArgsEscaped": _OMITTED_WHEN_EMPTY,
    "Image": "",
    "Volumes": None,
    "WorkingDir": "",
    "Entrypoint": None,
    "NetworkDisabled": _OMITTED_WHEN_EMPTY,
    "MacAddress": _OMITTED_WHEN_EMPTY,
    "OnBuild": None,
    "Labels": None,
    "StopSignal": _OMITTED_WHEN_EMPTY,
    "StopTimeout": _OMITTED_WHEN_NIL,
    "Shell": _OMITTED_WHEN_EMPTY,
}


def _image_config(stored: dict | None) -> dict | None:
    """The stored run config as Go's encoder writes a decoded container.Config (null when the image has none)."""
    if stored is None:
        return None
    shaped = {}
    for key, zero in _IMAGE_CONFIG_FIELDS.items():
        value = stored.get(key)
        if zero is _OMITTED_WHEN_NIL:
            if value is not None:
                shaped[key] = value
        elif zero is _OMITTED_WHEN_EMPTY:
            if value:
                shaped[key] = value
        else:
            shaped[key] = zero if value is None else value
    return shaped


def summary(image: Image) -> dict:
    return {
        "Id": image.id,
        "ParentId": image.parent,
        "RepoTags": list(image.repo_tags),
        "RepoDigests": list(image.repo_digests),
        "Created": created_seconds(image.config.get("created")),
        "Size": image.size,
        "SharedSize": -1,
        "Labels": image.container_config.get("Labels") or {},
        "Containers": -1,
    }


def inspect(image: Image, trees_base_first: list[Path]) -> dict:
    config = image.config
    top_first = [str(tree) for tree in reversed(trees_base_first)]
    graph_data = {"UpperDir": top_first[0], "LowerDir": ":".join(top_first[1:])} if top_first else {}
    if graph_data and not graph_data["LowerDir"]:
        del graph_data["LowerDir"]
    return {
        "Id": image.id,
        "RepoTags": list(image.repo_tags),
        "RepoDigests": list(image.repo_digests),
        "Parent": image.parent,
        # as moby's inspect: an image without a comment of its own (a commit's) shows its last step's
        "Comment": config.get("comment") or ((config.get("history") or [{}])[-1].get("comment") or ""),
        "Created": config.get("created") or NEVER,
        "DockerVersion": config.get("docker_version", ""),
        "Author": config.get("author", ""),
        "Config": _image_config(image.config.get("config")),
        "Architecture": config.get("architecture", ""),
        **({"Variant": config["variant"]} if config.get("variant") else {}),
        "Os": config.get("os", ""),
        "Size": image.size,
        "GraphDriver": {"Name": "overlay2", "Data": graph_data},
        "RootFS": {"Type": "layers", "Layers": image.diff_ids},
        "Metadata": {"LastTagTime": image.last_tag_time or NEVER},
    }


def history(image: Image, layer_sizes: dict[str, int], ancestors: list[Image] = ()) -> list[dict]:
    """Newest first. As moby's ImageHistory: each image of the parent chain (`ancestors`, nearest first) that
    is still stored names the history entry of the step that made it; the others show "<missing>"."""
    entries = []
    layers = iter(image.diff_ids)
    for item in image.config.get("history") or []:
        size = 0
        if not item.get("empty_layer"):
            diff_id = next(layers, None)
            size = layer_sizes.get(diff_id, 0) if diff_id else 0
        entries.append(
            {
                "Id": "<missing>",
                "Created": created_seconds(item.get("created")),
                "CreatedBy": item.get("created_by", ""),
                "Tags": None,
                "Size": size,
                "Comment": item.get("comment", ""),
            }
        )
    for known in (image, *ancestors):
        index = len(known.config.get("history") or []) - 1
        if 0 <= index < len(entries):
            entries[index]["Id"] = known.id
            entries[index]["Tags"] = list(known.repo_tags) or None
    entries.reverse()
    return entries


def removal(item: Removal) -> dict[str, str]:
    """One item of `docker rmi`'s answer: {"Untagged": name} or {"Deleted": id}."""
    return {"Untagged": item.reference} if isinstance(item, Untagged) else {"Deleted": item.id}


def load_lines(loaded: list[LoadedImage]) -> list[str]:
    """What `docker load` prints, as moby words it."""
    lines = []
    for image in loaded:
        if image.replaced is not None:
            lines.append(
                f"The image {image.tag} already exists, renaming the old one with ID {image.replaced} to empty string"
            )
        lines.append(f"Loaded image: {image.tag}" if image.tag is not None else f"Loaded image ID: {image.image_id}")
    return lines
