"""Images in and out of tar archives, over the image store: `docker import` (a rootfs tar becomes a one-layer
image), `docker load` (a `docker save` or OCI archive, spooled first: its manifest may come after its layers)
and `docker save` (an archive Docker 25 and our own load both take)."""

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from runtime.errors import InvalidParameter
from runtime.images.archive import ImageArchive, spool_upload
from runtime.images.image import Image
from runtime.images.imageconfig import import_config, import_container_config
from runtime.images.loader import images_in_archive
from runtime.images.readers import CountingReader, Readable
from runtime.images.reference import parse_repo_and_tag
from runtime.images.save import write_archive
from runtime.images.store import ImageStore, LoadedImage


class _StoreLayers:
    """The store's layers as save.py reads them."""

    def __init__(self, store: ImageStore) -> None:
        self._store = store

    def tar_size(self, diff_id: str) -> int:
        return self._store.layer_tar_size(diff_id)

    def open_tar(self, diff_id: str) -> Readable:
        return self._store.open_layer_tar(diff_id)


class ImageArchives:
    def __init__(self, store: ImageStore) -> None:
        self._store = store

    def import_rootfs(
        self,
        stream: BinaryIO,
        reference: str | None,
        *,
        changes: Sequence[str] = (),
        message: str = "",
        progress: Callable[[int], None] | None = None,
    ) -> Image:
        """`docker import`: one rootfs tar (plain or compressed) becomes a one-layer image."""
        target = parse_repo_and_tag(reference, None).familiar() if reference else None
        container_config = import_container_config(changes)  # bad changes fail before the upload is read
        extracted, release = self._store.add_layer(CountingReader(stream, progress), "import")  # type: ignore[arg-type]
        try:
            config = import_config(extracted.diff_id, container_config, message, time.time_ns())
            return self._store.create_image(config, None, [target] if target else [])
        finally:
            release()

    def load(self, stream: BinaryIO, progress: Callable[[int], None] | None = None) -> list[LoadedImage]:
        """`docker load` of a docker-save or OCI archive; what it added, one entry per name, in archive order."""
        spool = Path(tempfile.mkstemp(prefix="load-", suffix=".tar", dir=self._store.tmp)[1])
        releases: list[Callable[[], None]] = []
        try:
            spool_upload(stream, spool, progress)
            archive = ImageArchive(spool)
            try:
                images = images_in_archive(archive)
                for image in images:
                    for layer in image.layers:
                        release = self._store.pin_layer(layer.diff_id)  # stored already: its blob is skipped
                        if release is None:
                            with archive.open(layer.member) as blob:
                                _, release = self._store.add_layer(blob, f"load: layer {layer.member}", layer.diff_id)
                        releases.append(release)
            finally:
                archive.close()
            return self._store.record_loaded(images)
        finally:
            spool.unlink(missing_ok=True)
            for release in releases:
                release()

    def check_save(self, references: Sequence[str]) -> list[str]:
        """What would make a save fail (no name: 400, an unknown one: 404), before the archive's first byte; the
        ids of the images it would save."""
        if not references:
            raise InvalidParameter("images: save: names: at least one image is needed")
        images, release = self._store.pin_for_save(references)
        release()
        return list(dict.fromkeys(image.image_id for image in images))

    def save(self, references: Sequence[str], out: BinaryIO) -> None:
        """`docker save`: an archive Docker ≥ 25 and our own `load` both accept."""
        self.check_save(references)
        images, release = self._store.pin_for_save(references)
        try:
            write_archive(out, images, _StoreLayers(self._store))
        finally:
            release()
