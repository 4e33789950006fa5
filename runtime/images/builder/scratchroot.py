"""An image's root filesystem mounted for a build step that the builder does itself (COPY, ADD, WORKDIR) or
reads from (COPY --from): overlayfs over the image's layers, with a fresh upper directory that collects the
step's changes, exactly as a RUN step's container would. Everything goes when the context closes."""

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from runtime.errors import HostError
from runtime.images.layerstore import remove_tree
from runtime.linux.constants import MNT_DETACH, MS_RDONLY
from runtime.linux.syscalls import mount, umount2


class ScratchRoot:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.merged = base / "merged"  # the mounted root
        self.upper = base / "upper"  # the changes; read them after `unmount`
        self.mounted = False

    def unmount(self) -> None:
        if self.mounted:
            umount2(str(self.merged), MNT_DETACH)
            self.mounted = False


@contextlib.contextmanager
def mounted_root(tmp: Path, layers_base_first: list[Path], *, writable: bool = True) -> Iterator[ScratchRoot]:
    root = ScratchRoot(Path(tempfile.mkdtemp(prefix="build-root-", dir=tmp)))
    try:
        for directory in (root.merged, root.upper, root.base / "work", root.base / "empty"):
            directory.mkdir()
        lowers = [str(p) for p in reversed(layers_base_first)] or [str(root.base / "empty")]
        if writable:
            options = f"lowerdir={':'.join(lowers)},upperdir={root.upper},workdir={root.base / 'work'}"
        else:  # overlayfs without an upper directory needs two lower ones
            options = f"lowerdir={':'.join(lowers if len(lowers) > 1 else [*lowers, str(root.base / 'empty')])}"
        try:
            mount("overlay", str(root.merged), "overlay", 0 if writable else MS_RDONLY, options)
        except OSError as error:
            raise HostError(f"images: build: cannot mount the image's layers: {error.strerror or error}") from error
        root.mounted = True
        yield root
    finally:
        root.unmount()
        remove_tree(root.base)
