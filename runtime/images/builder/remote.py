"""ADD of a URL (moby builder/remotecontext/remote.go and copy.go's downloadSource): the file is fetched once
per build, named from the URL's last path element (or the Content-Disposition filename), mode 0600, its mtime
the Last-Modified header when the server sends one. It is hashed like any file for the cache (a changed
download is a miss) and never unpacked, even when it is an archive.
"""

import email.utils
import os
import posixpath
import tempfile
import urllib.parse
from email.message import Message
from pathlib import Path

import requests

from runtime.images.builder.sources import Source, SourceError
from runtime.images.builder.trees import DirectoryTree
from runtime.images.layerstore import remove_tree

TIMEOUT = (10, 300)
_CHUNK = 1 << 20


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _filename(url: str, response: requests.Response) -> str:
    path = urllib.parse.urlsplit(url).path
    if path and not path.endswith("/") and posixpath.basename(path):
        return posixpath.basename(path)
    disposition = response.headers.get("Content-Disposition")
    if disposition:
        header = Message()
        header["Content-Disposition"] = disposition
        name = header.get_param("filename", header="Content-Disposition")
        if isinstance(name, str) and name and not name.endswith("/"):
            return posixpath.basename(name)
    raise SourceError(f"cannot determine filename for source {url}")


class Downloads:
    """The URLs one build's ADD steps name, each fetched once, in a directory of the build's own."""

    def __init__(self, tmp: Path) -> None:
        self._tmp = tmp
        self._directory: Path | None = None
        self._fetched: dict[str, Source] = {}

    def fetch(self, url: str) -> Source:
        if url not in self._fetched:
            self._fetched[url] = self._download(url)
        return self._fetched[url]

    def remove(self) -> None:
        if self._directory is not None:
            remove_tree(self._directory)
            self._directory = None

    def _download(self, url: str) -> Source:
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="build-downloads-", dir=self._tmp))
        slot = self._directory / str(len(self._fetched))  # one directory per URL: names may repeat
        slot.mkdir()
        try:
            response = requests.get(url, stream=True, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise SourceError(f"failed to GET {url}: {error}") from None
        with response:
            if response.status_code >= 400:
                body = response.raw.read(512, decode_content=True).decode(errors="replace")
                raise SourceError(f"failed to GET {url} with status {response.status_code} {response.reason}: {body}")
            name = _filename(url, response)
            target = slot / name
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                for chunk in response.iter_content(_CHUNK):
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view) :]
            except requests.RequestException as error:
                raise SourceError(f"failed to GET {url}: {error}") from None
            finally:
                os.close(fd)
            modified = response.headers.get("Last-Modified")
            if modified:
                moment = email.utils.parsedate_to_datetime(modified).timestamp()
                os.utime(target, (moment, moment))
        return Source(DirectoryTree(slot, name="download"), name, is_dir=False, downloaded=True)
