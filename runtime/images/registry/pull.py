"""`docker pull`: the manifest (a list/index narrowed to this host's platform), the config, then the layers,
`max_concurrent` at a time, each streamed from the registry through its digest check straight into the layer
extractor (never held in memory, never spooled). The image is recorded only when every layer is in and the
config's diff_ids match what was extracted: a corrupt or truncated blob fails the pull with no half image.
"""

import hashlib
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from runtime.images.image import Image
from runtime.images.reference import ImageReference
from runtime.images.registry import manifests
from runtime.images.registry.blobindex import BlobIndex
from runtime.images.registry.blobs import BlobReader, read_small_blob
from runtime.images.registry.progress import LayerStatus, StatusLine, TransferProgress, WireBytes
from runtime.images.registry.transport import RegistryError, Transport
from runtime.images.store import ImageStore

DOWNLOAD_STEP = 512 << 10  # report Downloading progress every so many bytes


def split_name(reference: ImageReference) -> tuple[str, str]:
    """(registry host, repository path) of a normalised name."""
    host, _, repository = reference.name.partition("/")
    return host, repository


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


class Puller:
    def __init__(self, store: ImageStore, blobs: BlobIndex, max_concurrent: int = 3) -> None:
        self._store = store
        self._blobs = blobs
        self._max_concurrent = max_concurrent

    def pull(self, transport: Transport, reference: ImageReference, emit: Callable[[TransferProgress], None]) -> Image:
        host, repository = split_name(reference)
        scope = f"repository:{repository}:pull"
        wanted = reference.digest or reference.tag or "latest"
        data, digest, media_type = self.manifest(transport, repository, wanted, scope)
        if reference.digest is None:  # once the manifest is in, as moby's pullV2Tag (a failed mirror prints none)
            emit(LayerStatus(wanted, f"Pulling from {repository}"))  # the path without the host: library/busybox
        if manifests.is_index(media_type):
            chosen = manifests.choose_platform(data, reference.familiar())
            data, _, media_type = self.manifest(transport, repository, chosen.digest, scope)
            if f"sha256:{hashlib.sha256(data).hexdigest()}" != chosen.digest:
                raise RegistryError(f"registry {host}: manifest {chosen.digest}: digest mismatch")
        manifest = manifests.image_manifest(data, media_type)
        config_bytes = read_small_blob(transport, repository, manifest.config.digest, manifest.config.size, scope)
        config = json.loads(config_bytes)
        diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
        if len(diff_ids) != len(manifest.layers):
            raise RegistryError(
                f"registry {host}: {reference.familiar()}: the manifest has {len(manifest.layers)} layers, "
                f"the config {len(diff_ids)} diff_ids"
            )
        releases: list[Callable[[], None]] = []
        try:
            self._layers(transport, repository, scope, manifest.layers, diff_ids, emit, releases)
            tag = reference.familiar() if reference.digest is None else None
            image = self._store.add_pulled(config_bytes, config, tag, f"{reference.familiar_name}@{digest}")
        finally:
            for release in releases:
                release()
        for layer, diff_id in zip(manifest.layers, diff_ids, strict=True):
            self._blobs.record(diff_id, transport.host, repository, layer.digest)  # a mirror's, for a mirrored pull
        emit(StatusLine(f"Digest: {digest}"))
        return image

    def manifest(self, transport: Transport, repository: str, ref: str, scope: str) -> tuple[bytes, str, str]:
        """The manifest's bytes, digest and media type; a digest reference is checked against the bytes."""
        response = transport.request(
            "GET", f"{repository}/manifests/{ref}", scope, headers={"Accept": manifests.ACCEPT}
        )
        data = response.content
        digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
        if ref.startswith("sha256:") and digest != ref:
            raise RegistryError(f"registry {transport.host}: manifest {ref}: digest mismatch: got {digest}")
        return data, digest, manifests.media_type_of(data, response.headers.get("Content-Type", ""))

    def _layers(
        self,
        transport: Transport,
        repository: str,
        scope: str,
        layers: tuple[manifests.Descriptor, ...],
        diff_ids: list[str],
        emit: Callable[[TransferProgress], None],
        releases: list[Callable[[], None]],
    ) -> None:
        missing = []
        for layer, diff_id in zip(layers, diff_ids, strict=True):
            if self._store.has_layer(diff_id):
                emit(LayerStatus(_short(layer.digest), "Already exists"))
            else:
                emit(LayerStatus(_short(layer.digest), "Pulling fs layer"))
                missing.append((layer, diff_id))
        lock = threading.Lock()

        def fetch(item: tuple[manifests.Descriptor, str]) -> None:
            layer, diff_id = item
            short = _short(layer.digest)
            reported = [0]
            received = [0]

            def progress(count: int) -> None:
                emit(WireBytes(count - received[0]))
                received[0] = count
                if count - reported[0] >= DOWNLOAD_STEP or count == layer.size:
                    reported[0] = count
                    emit(LayerStatus(short, "Downloading", count, layer.size))

            reader = BlobReader(transport, repository, layer.digest, layer.size, progress, scope)
            try:
                _, release = self._store.add_layer(reader, f"pull: layer {layer.digest}", diff_id)  # type: ignore[arg-type]
                with lock:
                    releases.append(release)
                while reader.read():  # the extractor may stop before the blob's end; the digest covers it all
                    continue
            finally:
                reader.close()
            emit(LayerStatus(short, "Verifying Checksum"))
            emit(LayerStatus(short, "Download complete"))
            emit(LayerStatus(short, "Pull complete"))

        if not missing:
            return
        with ThreadPoolExecutor(max_workers=self._max_concurrent, thread_name_prefix="pull") as pool:
            for future in [pool.submit(fetch, item) for item in missing]:
                future.result()
