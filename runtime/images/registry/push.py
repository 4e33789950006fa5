"""`docker push`: each layer, `max_concurrent` at a time, skipped when the registry has its blob, mounted when
another repository of the registry holds it, otherwise gzip-compressed (ISA-L, level 1: it is faster than
the network here) and uploaded as it is compressed (POST, one chunked PATCH, PUT with the digest computed on
the way); then the config and a v2 schema 2 manifest under the tag.
"""

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from isal import isal_zlib

from runtime.images.image import Image
from runtime.images.reference import ImageReference
from runtime.images.registry import manifests
from runtime.images.registry.blobindex import BlobIndex
from runtime.images.registry.progress import LayerStatus, PushResult, StatusLine, TransferProgress, WireBytes
from runtime.images.registry.pull import split_name
from runtime.images.registry.transport import RegistryError, Transport
from runtime.images.store import ImageStore

CHUNK = 1 << 20
GZIP_LEVEL = 1
PROGRESS_STEP = 512 << 10


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


class Pusher:
    def __init__(self, store: ImageStore, blobs: BlobIndex, max_concurrent: int = 5) -> None:
        self._store = store
        self._blobs = blobs
        self._max_concurrent = max_concurrent

    def push(
        self, transport: Transport, reference: ImageReference, image: Image, emit: Callable[[TransferProgress], None]
    ) -> str:
        host, repository = split_name(reference)
        scope = f"repository:{repository}:pull,push"
        tag = reference.tag or "latest"
        emit(StatusLine(f"The push refers to repository [{reference.name}]"))
        diff_ids = image.diff_ids
        for diff_id in diff_ids:
            emit(LayerStatus(_short(diff_id), "Preparing"))

        def one(diff_id: str) -> manifests.Descriptor:
            return self._layer(transport, host, repository, scope, diff_id, emit)

        with ThreadPoolExecutor(max_workers=self._max_concurrent, thread_name_prefix="push") as pool:
            layers = [f.result() for f in [pool.submit(one, d) for d in diff_ids]]
        config_bytes = self._store.config_bytes(image)
        config = manifests.Descriptor(manifests.DOCKER_CONFIG, image.id, len(config_bytes))
        if not self._exists(transport, repository, scope, image.id):
            self._upload(transport, repository, scope, iter([config_bytes]), image.id)
        manifest = manifests.docker_manifest(config, layers)
        response = transport.request(
            "PUT",
            f"{repository}/manifests/{tag}",
            scope,
            ok=(201,),
            data=manifest,
            headers={"Content-Type": manifests.DOCKER_MANIFEST},
        )
        digest = response.headers.get("Docker-Content-Digest") or f"sha256:{hashlib.sha256(manifest).hexdigest()}"
        for layer, diff_id in zip(layers, diff_ids, strict=True):
            self._blobs.record(diff_id, host, repository, layer.digest)
        self._store.record_digest(image, f"{reference.familiar_name}@{digest}")
        emit(StatusLine(f"{tag}: digest: {digest} size: {len(manifest)}"))
        emit(PushResult(tag, digest, len(manifest)))
        return digest

    def _layer(
        self, transport: Transport, host: str, repository: str, scope: str, diff_id: str, emit
    ) -> manifests.Descriptor:
        short = _short(diff_id)
        for other, digest in self._blobs.known(diff_id, host):
            if other == repository:
                size = self._exists(transport, repository, scope, digest)
                if size is not None:
                    emit(LayerStatus(short, "Layer already exists"))
                    return manifests.Descriptor(manifests.DOCKER_LAYER, digest, size)
            else:
                mount_scope = f"{scope} repository:{other}:pull"
                response = transport.request(
                    "POST",
                    f"{repository}/blobs/uploads/?mount={digest}&from={other}",
                    mount_scope,
                    ok=(201, 202),
                )
                if response.status_code == 201:
                    emit(LayerStatus(short, f"Mounted from {other}"))
                    size = self._exists(transport, repository, scope, digest)
                    return manifests.Descriptor(manifests.DOCKER_LAYER, digest, size or 0)
        total = self._store.layer_tar_size(diff_id)
        compressed = self._compressed(diff_id, short, total, emit)
        digest, size = self._upload(transport, repository, scope, compressed, on_bytes=lambda n: emit(WireBytes(n)))
        emit(LayerStatus(short, "Pushed"))
        return manifests.Descriptor(manifests.DOCKER_LAYER, digest, size)

    def _compressed(self, diff_id: str, short: str, total: int, emit) -> Iterator[bytes]:
        compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 31)  # wbits 31: a gzip stream
        source = self._store.open_layer_tar(diff_id)
        done = reported = 0
        while chunk := source.read(CHUNK):
            done += len(chunk)
            if done - reported >= PROGRESS_STEP or done == total:
                reported = done
                emit(LayerStatus(short, "Pushing", done, total))
            yield compressor.compress(chunk)
        yield compressor.flush()

    @staticmethod
    def _exists(transport: Transport, repository: str, scope: str, digest: str) -> int | None:
        response = transport.request("HEAD", f"{repository}/blobs/{digest}", scope, ok=(200, 404))
        return int(response.headers.get("Content-Length", 0)) if response.status_code == 200 else None

    @staticmethod
    def _upload(
        transport: Transport,
        repository: str,
        scope: str,
        chunks: Iterator[bytes],
        known_digest: str | None = None,
        on_bytes: Callable[[int], None] = lambda count: None,
    ) -> tuple[str, int]:
        hasher = hashlib.sha256()
        size = 0

        def counted() -> Iterator[bytes]:
            nonlocal size
            for chunk in chunks:
                if chunk:
                    hasher.update(chunk)
                    size += len(chunk)
                    on_bytes(len(chunk))
                    yield chunk

        started = transport.request("POST", f"{repository}/blobs/uploads/", scope, ok=(202,))
        location = _absolute(transport, started.headers["Location"])
        patched = transport.request(
            "PATCH", location, scope, ok=(202,), data=counted(), headers={"Content-Type": "application/octet-stream"}
        )
        location = _absolute(transport, patched.headers["Location"])
        digest = f"sha256:{hasher.hexdigest()}"
        if known_digest is not None and known_digest != digest:
            raise RegistryError(f"registry {transport.host}: blob {known_digest}: the bytes sent hash to {digest}")
        separator = "&" if "?" in location else "?"
        transport.request("PUT", f"{location}{separator}digest={digest}", scope, ok=(201,))
        return digest, size


def _absolute(transport: Transport, location: str) -> str:
    return location if location.startswith("http") else f"{transport.base()}{location}"
