"""The classic builder's cache as `docker system df` and `docker builder prune` see it: one record per cached
step (its image, the layer it added, whether an image or a container keeps that layer anyway), and the prune
that forgets every step and removes the step images nothing else needs (untagged, built on by nothing, used by
no container), with the parents that only they kept, as `docker image prune` would remove them."""

from collections.abc import Callable
from dataclasses import dataclass

from runtime.errors import NotFound
from runtime.images.builder.cache import BuildCache, CacheEntry
from runtime.images.imageconfig import created_seconds
from runtime.images.removal import Deleted, ImageUser
from runtime.images.store import ImageStore

RECORD_ID_LENGTH = 25  # as long as BuildKit's record ids, which the docker CLI's table is sized for


@dataclass(frozen=True, slots=True)
class CacheRecord:
    id: str
    image_id: str
    parent: str  # the image the step ran on ("" for FROM scratch)
    description: str  # the step, as its history records it
    size: int  # bytes of the layer the step added (0 for a step that only changed the config)
    shared: bool  # a tagged image has that layer too: removing the step reclaims nothing
    in_use: bool  # a container holds that layer
    created_seconds: int
    last_used_ns: int
    usage_count: int


@dataclass(frozen=True, slots=True)
class PruneReport:
    deleted: list[str]  # the records forgotten
    reclaimed: int  # bytes of layers removed


def cache_records(cache: BuildCache, store: ImageStore) -> list[CacheRecord]:
    tagged_layers = {d for image in store.list() if image.repo_tags for d in image.diff_ids}
    held = store.held_layers()
    records = []
    for entry in cache.entries():
        try:
            image = store.resolve(entry.image_id)
        except NotFound:
            continue  # a step whose image was removed: the next lookup drops it
        parent_layers = (
            set(store.resolve(image.parent).diff_ids) if image.parent and store.exists(image.parent) else set()
        )
        added = [d for d in image.diff_ids if d not in parent_layers]
        history = image.config.get("history") or [{}]
        records.append(
            CacheRecord(
                entry.key[:RECORD_ID_LENGTH],
                image.id,
                image.parent,
                history[-1].get("created_by", ""),
                sum(store.layer_size(d) for d in added),
                any(d in tagged_layers for d in added),
                any(d in held for d in added),
                created_seconds(image.config.get("created")),
                entry.last_used_ns,
                entry.usage_count,
            )
        )
    return records


def prune_cache(cache: BuildCache, store: ImageStore, in_use_by: Callable[[str], ImageUser | None]) -> PruneReport:
    sizes = {d: store.layer_size(d) for image in store.list() for d in image.diff_ids}
    forgotten: list[CacheEntry] = cache.forget_all()
    reclaimed = 0
    for entry in reversed(forgotten):  # later steps first: they are the leaves their parents wait for
        if not store.exists(entry.image_id):
            continue
        image = store.resolve(entry.image_id)
        if image.repo_tags or store.has_children(image) or in_use_by(image.id) is not None:
            continue
        for removal in store.remove(image.id, force=False, in_use_by=in_use_by):
            if isinstance(removal, Deleted):  # image ids are never layer diff_ids: they add nothing
                reclaimed += sizes.get(removal.id, 0)
    return PruneReport([entry.key[:RECORD_ID_LENGTH] for entry in forgotten], reclaimed)
