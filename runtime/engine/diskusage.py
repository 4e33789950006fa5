"""`docker system df` (GET /system/df): what images, containers, volumes and the build cache hold on disk, as
typed records; runtime/api renders them. Images count their containers and the bytes they share with other
images; containers their writable layer; volumes their files and their users; the build cache its steps."""

from collections import Counter
from dataclasses import dataclass

from runtime.engine.containerfs import ContainerFilesystems
from runtime.engine.containers import Containers
from runtime.engine.model import Container
from runtime.images.builder.build import Builder
from runtime.images.builder.cacheusage import CacheRecord, cache_records
from runtime.images.image import Image
from runtime.images.store import ImageStore
from runtime.volumes import Volume, VolumeService
from runtime.volumes.layout import disk_usage

KINDS = ("container", "image", "volume", "build-cache")


@dataclass(frozen=True, slots=True)
class ImageUsage:
    image: Image
    containers: int
    shared_size: int  # bytes of its layers that another image has too


@dataclass(frozen=True, slots=True)
class ContainerUsage:
    container: Container
    size_rw: int
    size_root_fs: int


@dataclass(frozen=True, slots=True)
class VolumeUsage:
    volume: Volume
    size: int
    ref_count: int


@dataclass(frozen=True, slots=True)
class DiskUsage:
    layers_size: int | None  # None when images were not asked for
    images: list[ImageUsage] | None
    containers: list[ContainerUsage] | None
    volumes: list[VolumeUsage] | None
    build_cache: list[CacheRecord] | None


class DiskUsageReport:
    def __init__(
        self,
        images: ImageStore,
        containers: Containers,
        filesystems: ContainerFilesystems,
        volumes: VolumeService,
        builder: Builder,
    ) -> None:
        self._images = images
        self._containers = containers
        self._filesystems = filesystems
        self._volumes = volumes
        self._builder = builder

    def report(self, kinds: tuple[str, ...] = KINDS) -> DiskUsage:
        containers = self._containers.list(all_=True, limit=0, filters={})  # as moby: in `ps -a`'s order, newest first
        images = [i for i in self._images.list() if not self._images.is_intermediate(i)]
        sizes = {i.id: i.size for i in images}
        return DiskUsage(
            self._images.layers_size() if "image" in kinds else None,
            self._image_usage(images, containers) if "image" in kinds else None,
            [self._container_usage(c, sizes.get(c.image_id, 0)) for c in containers] if "container" in kinds else None,
            self._volume_usage(containers) if "volume" in kinds else None,
            cache_records(self._builder.cache, self._images) if "build-cache" in kinds else None,
        )

    def _image_usage(self, images: list[Image], containers: list[Container]) -> list[ImageUsage]:
        users = Counter(c.image_id for c in containers)
        layer_images = Counter(d for image in images for d in set(image.diff_ids))
        return [
            ImageUsage(
                image,
                users[image.id],
                sum(self._images.layer_size(d) for d in set(image.diff_ids) if layer_images[d] > 1),
            )
            for image in images
        ]

    def _container_usage(self, container: Container, image_size: int) -> ContainerUsage:
        size_rw, size_root_fs = self._filesystems.sizes(container, image_size)
        return ContainerUsage(container, size_rw, size_root_fs)

    def _volume_usage(self, containers: list[Container]) -> list[VolumeUsage]:
        refs = Counter(m.get("name") for c in containers for m in c.mounts if m.get("name"))
        return [
            VolumeUsage(v, disk_usage(v.mountpoint), refs[v.name])
            for v in self._volumes.list({}, in_use=lambda name: refs[name] > 0)
        ]
