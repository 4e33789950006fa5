"""`docker rmi` semantics, after moby daemon/images/image_delete.go.

By name: the tag is removed (refused without force when it is the image's only tag and a container uses
the image); the image itself is deleted only when no tag is left and no container stops it (quietly kept
otherwise). By id (or id prefix): with a single tag, the tag goes with the image; with several, force is
needed. Child images built on it and a running container are hard conflicts that force cannot override; a
stopped container is a soft one.
"""

from dataclasses import dataclass

from runtime.errors import Conflict
from runtime.images.imageindex import ImageIndex
from runtime.images.reference import parse_reference


@dataclass(frozen=True, slots=True)
class Untagged:
    """A name `docker rmi` took off an image (familiar form, e.g. busybox:latest)."""

    reference: str


@dataclass(frozen=True, slots=True)
class Deleted:
    """An image id, or a layer's diff_id, that `docker rmi` deleted."""

    id: str
    is_layer: bool = False  # a layer's: listed in the answer, but no event (moby logs deleted images only)


Removal = Untagged | Deleted


@dataclass(frozen=True, slots=True)
class ImageUser:
    """A container using an image; the engine reports a running one first if there is one."""

    container_id: str
    running: bool


def _short(identifier: str) -> str:
    return identifier.removeprefix("sha256:")[:12]


def is_id_prefix(image_id: str, reference: str) -> bool:
    return image_id.startswith(reference) or image_id.removeprefix("sha256:").startswith(reference)


def _delete_conflict(
    image_id: str, has_children: bool, user: ImageUser | None, force: bool, tags_left: int
) -> Conflict | None:
    """moby's checkImageDeleteConflict: child images (hard), running (hard), other tags (soft), stopped (soft)."""
    if has_children:
        return Conflict(
            f"conflict: unable to delete {_short(image_id)} (cannot be forced) - image has dependent child images"
        )
    if user is not None and user.running:
        return Conflict(
            f"conflict: unable to delete {_short(image_id)} (cannot be forced) - image is being used by "
            f"running container {_short(user.container_id)}"
        )
    if force:
        return None
    if tags_left > 0:
        return Conflict(
            f"conflict: unable to delete {_short(image_id)} (must be forced) - image is referenced in multiple "
            "repositories"
        )
    if user is not None:
        return Conflict(
            f"conflict: unable to delete {_short(image_id)} (must be forced) - image is being used by stopped "
            f"container {_short(user.container_id)}"
        )
    return None


def remove_references(
    index: ImageIndex, image_id: str, reference: str, force: bool, user: ImageUser | None
) -> tuple[list[Removal], bool]:
    """Untag as `docker rmi` would; returns what was removed so far and whether to delete the image.

    The caller holds the store's lock, deletes the config when told to, and collects the layers.
    """
    tags = index.tags_of(image_id)
    has_children = index.has_children(image_id)
    if not is_id_prefix(image_id, reference):
        if not force and len(tags) == 1 and user is not None:
            raise Conflict(
                f'conflict: unable to remove repository reference "{reference}" (must force) - container '
                f"{_short(user.container_id)} is using its referenced image {_short(image_id)}"
            )
        untagged = parse_reference(reference).with_default_tag().familiar()
        index.set_tags({untagged: None})
        records: list[Removal] = [Untagged(untagged)]
        if index.tags_of(image_id):
            return records, False
        # Untagged, moby deletes it quietly unless a container uses it or images are built on it.
        return records, _delete_conflict(image_id, has_children, user, force, 0) is None
    records: list[Removal] = []
    if len(tags) == 1:
        conflict = _delete_conflict(image_id, has_children, user, force, 0)
        if conflict is not None:
            raise conflict
        index.set_tags({tags[0]: None})
        records.append(Untagged(tags[0]))
        tags = []
    conflict = _delete_conflict(image_id, has_children, user, force, len(tags))
    if conflict is not None:
        raise conflict
    if tags:
        records += [Untagged(tag) for tag in tags]
        index.set_tags(dict.fromkeys(tags))
    return records, True
