"""A blob read from the registry as it streams, verified against its digest and size; a dropped connection is
asked again from where it stopped (HTTP Range) instead of starting over."""

import hashlib
import http.client
from collections.abc import Callable

import requests
import urllib3

from runtime.images.registry.transport import RegistryError, Transport

CHUNK = 1 << 20
RETRIES = 3
# What a connection dropped mid-blob raises through requests' raw stream (urllib3's IncompleteRead and
# ProtocolError are HTTPErrors; http.client's own when urllib3 does not wrap them).
_DROPPED = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)


class BlobReader:
    def __init__(
        self, transport: Transport, repository: str, digest: str, size: int, progress: Callable[[int], None], scope: str
    ) -> None:
        self._transport = transport
        self._path = f"{repository}/blobs/{digest}"
        self._digest = digest
        self._size = size
        self._progress = progress
        self._scope = scope
        self._hash = hashlib.sha256()
        self._read = 0
        self._retries = 0
        self._response = self._open()
        self._done = False

    def _open(self) -> requests.Response:
        headers = {"Range": f"bytes={self._read}-"} if self._read else {}
        response = self._transport.request("GET", self._path, self._scope, ok=(200, 206), headers=headers, stream=True)
        if self._read and response.status_code != 206:
            raise RegistryError(
                f"registry {self._transport.host}: blob {self._digest}: resuming: the Range was ignored"
            )
        return response

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        wanted = CHUNK if size is None or size < 0 else min(size, CHUNK)
        while True:
            try:
                data = self._response.raw.read(wanted, decode_content=False)
            except _DROPPED as error:
                self._resume(str(error))
                continue
            if data or self._read >= self._size:
                break
            self._resume(f"the connection ended after {self._read} of {self._size} bytes")
        if data:
            self._hash.update(data)
            self._read += len(data)
            self._progress(self._read)
            if self._read > self._size:
                raise RegistryError(f"registry: blob {self._digest}: longer than the {self._size} bytes announced")
            return data
        self._done = True
        self._response.close()
        self._verify()
        return b""

    def _resume(self, why: str) -> None:
        """Ask again for the rest of the blob (a Range from the first byte not yet read)."""
        self._response.close()
        self._retries += 1
        if self._retries > RETRIES:
            raise RegistryError(f"registry {self._transport.host}: blob {self._digest}: {why}")
        self._response = self._open()

    def _verify(self) -> None:
        got = f"sha256:{self._hash.hexdigest()}"
        if self._read != self._size:
            raise RegistryError(f"registry: blob {self._digest}: truncated: {self._read} of {self._size} bytes")
        if got != self._digest:
            raise RegistryError(f"registry: blob {self._digest}: digest mismatch: the content hashes to {got}")

    def close(self) -> None:
        self._response.close()


def read_small_blob(transport: Transport, repository: str, digest: str, size: int, scope: str) -> bytes:
    reader = BlobReader(transport, repository, digest, size, lambda _: None, scope)
    data = b""
    while chunk := reader.read():
        data += chunk
    return data
