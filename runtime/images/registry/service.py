"""The engine's door to registries: pull, push and login by reference and credentials, a transport per call."""

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from runtime.errors import EngineError, InvalidParameter, NotFound
from runtime.images.image import Image
from runtime.images.metrics import ImageMetrics
from runtime.images.reference import ImageReference, parse_reference, parse_repo_and_tag
from runtime.images.registry import manifests
from runtime.images.registry.blobindex import BlobIndex
from runtime.images.registry.blobs import read_small_blob
from runtime.images.registry.mirrors import Mirror
from runtime.images.registry.progress import StatusLine, TransferProgress, WireBytes
from runtime.images.registry.pull import Puller, split_name
from runtime.images.registry.push import Pusher
from runtime.images.registry.transport import Credentials, Transport
from runtime.images.store import ImageStore

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DistributionInspect:
    """GET /distribution/{name}/json: the manifest (or index) a name points at, and its platforms."""

    descriptor: manifests.Descriptor
    platforms: list[dict]


class Distribution:
    def __init__(
        self,
        store: ImageStore,
        data_root: Path,
        certs_dir: Path,
        metrics: ImageMetrics,
        insecure: tuple[str, ...] = (),
        max_downloads: int = 3,
        max_uploads: int = 5,
        mirrors: tuple[Mirror, ...] = (),
    ) -> None:
        self._mirrors = mirrors
        self._metrics = metrics
        self._store = store
        self._certs_dir = certs_dir
        self._insecure = insecure
        blobs = BlobIndex(data_root)
        self._puller = Puller(store, blobs, max_downloads)
        self._pusher = Pusher(store, blobs, max_uploads)

    def _transport(self, host: str, credentials: Credentials, *, offline_access: bool = False) -> Transport:
        return Transport(host, credentials, self._certs_dir, self._insecure, offline_access=offline_access)

    def pull(self, name: str, tag: str, credentials: Credentials, emit: Callable[[TransferProgress], None]) -> Image:
        reference = parse_reference(name)
        if tag:
            reference = parse_reference(f"{name}@{tag}" if tag.startswith("sha256:") else f"{name}:{tag}")
        reference = reference.with_default_tag()
        host, _ = split_name(reference)
        try:
            before = self._store.resolve(reference.familiar()).id
        except NotFound:
            before = None
        if host == "docker.io":
            refused = f"pull access denied for {reference.familiar_name}: porthole reaches no Docker Hub here"
            image = self._from_mirrors(
                credentials, lambda transport: self._pull_from(transport, reference, emit), refused
            )
        else:
            image = self._pull_from(self._transport(host, credentials), reference, emit)
        fresh = "Image is up to date for" if image.id == before else "Downloaded newer image for"
        emit(StatusLine(f"Status: {fresh} {reference.familiar()}"))
        return image

    def _pull_from(self, transport: Transport, reference: ImageReference, emit) -> Image:
        try:
            with self._measured(transport.host, "pull", emit) as counted:
                return self._puller.pull(transport, reference, counted)
        finally:
            transport.close()

    def _from_mirrors(self, credentials: Credentials, attempt: Callable[[Transport], T], refused: str) -> T:
        """A Docker Hub name answered by the first --registry-mirror that serves it (a pull, a distribution
        inspect: moby asks its pull endpoints, mirrors first, for both); porthole reaches no Docker Hub itself,
        so the last resort is an error that names each mirror's failure."""
        failures = []
        for mirror in self._mirrors:
            insecure = self._insecure + ((mirror.host,) if mirror.plain_http else ())
            try:
                return attempt(Transport(mirror.host, credentials, self._certs_dir, insecure))
            except EngineError as error:
                failures.append(f"mirror {mirror.url}: {error.message}")
        if not failures:
            raise NotFound(f"{refused}: name a registry (host:port/name)")
        raise NotFound(f"{refused}: no --registry-mirror had it ({'; '.join(failures)})")

    def push(self, name: str, tag: str, credentials: Credentials, emit: Callable[[TransferProgress], None]) -> str:
        reference = parse_repo_and_tag(name, tag or None)
        host, _ = split_name(reference)
        if host == "docker.io":
            raise InvalidParameter(f"porthole: push {reference.familiar()}: name a registry (host:port/name)")
        image = self._store.resolve(reference.familiar())
        transport = self._transport(host, credentials)
        try:
            with self._measured(host, "push", emit) as counted:
                return self._pusher.push(transport, reference, image, counted)
        finally:
            transport.close()

    @contextlib.contextmanager
    def _measured(self, host: str, direction: str, emit: Callable[[TransferProgress], None]):
        """Duration, errors and bytes of one transfer; the bytes are the layer blobs' as on the wire (WireBytes
        records, counted here and not passed on), the same for a pull and a push of the same image."""
        transferred = self._metrics.transfer_bytes.labels(host, direction)

        def counted(record: TransferProgress) -> None:
            if isinstance(record, WireBytes):
                transferred.inc(record.count)
            else:
                emit(record)

        started = time.monotonic()
        try:
            yield counted
        except BaseException:
            self._metrics.transfer_errors.labels(host, direction).inc()
            raise
        finally:
            self._metrics.transfer_seconds.labels(host, direction).observe(time.monotonic() - started)

    def inspect(self, name: str, credentials: Credentials) -> DistributionInspect:
        """What `name` (tag or digest) points at in its registry, without pulling it (moby's distribution
        router): the descriptor of the manifest or index, and the platforms it serves."""
        reference = parse_reference(name).with_default_tag()
        host, _ = split_name(reference)
        if host == "docker.io":
            refused = f"porthole reaches no Docker Hub here: {reference.familiar()}"
            return self._from_mirrors(credentials, lambda transport: self._inspect_at(transport, reference), refused)
        return self._inspect_at(self._transport(host, credentials), reference)

    def _inspect_at(self, transport: Transport, reference: ImageReference) -> DistributionInspect:
        _, repository = split_name(reference)
        scope = f"repository:{repository}:pull"
        try:
            data, digest, media_type = self._puller.manifest(
                transport, repository, reference.digest or reference.tag, scope
            )
            if manifests.is_index(media_type):
                platforms = manifests.index_platforms(data)
            else:
                config = manifests.image_manifest(data, media_type).config
                blob = read_small_blob(transport, repository, config.digest, config.size, scope)
                platforms = manifests.config_platform(json.loads(blob))
        finally:
            transport.close()
        return DistributionInspect(manifests.Descriptor(media_type, digest, len(data)), platforms)

    def login(self, server: str, credentials: Credentials) -> str:
        """`docker login`: the registry's /v2/ answers with these credentials (Forbidden otherwise). The identity
        token: the refresh token a token server gave for them ("" when none), which the CLI keeps and sends
        back in X-Registry-Auth instead of the password, as with Docker."""
        host = server.removeprefix("https://").removeprefix("http://").rstrip("/")
        transport = self._transport(host, credentials, offline_access=True)
        try:
            transport.request("GET", "", "registry:catalog:*")
            return transport.refresh_token
        finally:
            transport.close()
