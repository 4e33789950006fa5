"""A container's filesystem as the API serves it: `docker cp` both ways and its stat, `docker export`,
`docker diff`, and the sizes `ps -s` and `inspect -s` report. Reads and writes go through a RootView, so they
work on stopped containers too and never leave the container's root.
"""

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from runtime.engine.config import DaemonConfig
from runtime.engine.copyarchive import PathStat, absolute_path, stat_path, write_path_archive, write_root_archive
from runtime.engine.launch import Layout, make_init_layer
from runtime.engine.lifecycle import Lifecycle
from runtime.engine.model import Container
from runtime.engine.namespace_modes import owners_seen_by, remapping_of
from runtime.engine.rootview import Bind, LiveRoot, RootView, StoppedRoot
from runtime.engine.untar import UntarOptions, unpack
from runtime.errors import InvalidParameter, NotFound
from runtime.images.readers import Readable
from runtime.images.treetar import OwnerMap
from runtime.images.upperchanges import Change, ChangeKind, upper_changes
from runtime.images.upperdiff import MOUNT_PLACEHOLDERS
from runtime.shim.process import ExecError, resolve_user
from runtime.volumes.layout import disk_usage

_ETC_FILES = ("hostname", "hosts", "resolv.conf")


class ClosingStream:
    """An iterator of bytes whose `close()` also runs `on_close`, once, even if it was never iterated (a
    response that failed before its first chunk still closes the view and its lock)."""

    def __init__(self, chunks: Iterator[bytes], on_close: Callable[[], None]) -> None:
        self._chunks = chunks
        self._on_close: Callable[[], None] | None = on_close

    def __iter__(self) -> "ClosingStream":
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        if self._on_close is not None:
            on_close, self._on_close = self._on_close, None
            on_close()


def _not_found(error: FileNotFoundError, path: str, reference: str) -> NotFound:
    return NotFound(f"Could not find the file {path} in container {reference}")


# The directories that hold the runtime's mount points below the root (/etc for /etc/hosts).
_PLACEHOLDER_PARENTS = frozenset("/" + p.rpartition("/")[0] for p in MOUNT_PLACEHOLDERS if "/" in p)


def _with_placeholder_parents(changes: list[Change]) -> list[Change]:
    """upper_changes cannot tell /etc copied up for the runtime's mount points from /etc copied up for a file
    the container changed in it, so it reports neither. Docker keeps its mount points in the init layer: its
    upper /etc exists only for the container's own changes, and differs (mtime) from the lower one, so
    `echo y >> /etc/passwd` shows `C /etc` before `C /etc/passwd`."""
    shown = {change.path for change in changes}
    result: list[Change] = []
    for change in changes:
        parent = os.path.dirname(change.path)
        if parent in _PLACEHOLDER_PARENTS and parent not in shown:
            result.append(Change(parent, ChangeKind.MODIFIED))
            shown.add(parent)
        result.append(change)
    return result


class ContainerFilesystems:
    def __init__(self, config: DaemonConfig, lifecycle: Lifecycle) -> None:
        self._config = config
        self._lifecycle = lifecycle

    # --- cp ----------------------------------------------------------------------------------------------

    def stat(self, container: Container, path: str, reference: str) -> PathStat:
        """HEAD /containers/{id}/archive: `reference` is the name the client used, for Docker's message."""
        with self._view(container, with_mounts=True) as view:
            try:
                return view.run(lambda: stat_path(path))
            except FileNotFoundError as error:
                raise _not_found(error, path, reference) from None

    def archive(self, container: Container, path: str, reference: str) -> tuple[PathStat, ClosingStream]:
        """GET /containers/{id}/archive: the path's stat (for the header) and its tar, streamed."""
        view, done = self._open(container, with_mounts=True)
        try:
            found = view.run(lambda: stat_path(path))
        except FileNotFoundError as error:
            done()
            raise _not_found(error, path, reference) from None
        except BaseException:
            done()
            raise
        owners = self._shown_owners(container)
        return found, ClosingStream(view.stream(lambda out: write_path_archive(path, out, owners)), done)

    def extract(
        self,
        container: Container,
        path: str,
        reference: str,
        stream: Readable,
        *,
        copy_uid_gid: bool,
        no_overwrite_dir_non_dir: bool,
    ) -> None:
        """PUT /containers/{id}/archive: unpack the tar `stream` into the directory `path`."""
        user = container.config.get("User") or ""
        remapping = remapping_of(container.host_config, self._config.userns_remap)
        written_owners = remapping.host_ids if remapping else None

        def work() -> None:
            directory = Path(absolute_path(path)).resolve(strict=True)
            if not directory.is_dir():
                raise InvalidParameter("extraction point is not a directory")
            self._refuse_read_only(container, str(directory))
            owner = None
            if copy_uid_gid and user:
                try:
                    found = resolve_user(user)  # the container's /etc/passwd and /etc/group: the view's root
                except ExecError as error:
                    raise InvalidParameter(str(error)) from None
                owner = (found.uid, found.gid)
            unpack(stream, str(directory), UntarOptions(no_overwrite_dir_non_dir, owner, written_owners))

        with self._view(container, with_mounts=True) as view:
            try:
                view.run(work)
            except FileNotFoundError as error:
                raise _not_found(error, path, reference) from None

    # --- export, diff, sizes -----------------------------------------------------------------------------

    def export(self, container: Container) -> ClosingStream:
        """`docker export`: the merged root filesystem, without volumes and binds, as a tar."""
        view, done = self._open(container, with_mounts=False)
        owners = self._shown_owners(container)
        return ClosingStream(view.stream(lambda out: write_root_archive(out, owners)), done)

    def changes(self, container: Container) -> list[Change]:
        upper = self._upper(container)
        if not upper.is_dir():
            return []
        lowers = list(reversed(container.layers))
        return _with_placeholder_parents(
            upper_changes(str(upper), lowers, MOUNT_PLACEHOLDERS, self._shown_owners(container))
        )

    def writable_size(self, container: Container) -> int:
        """The writable layer's bytes (SizeRw)."""
        upper = self._upper(container)
        return disk_usage(upper) if upper.is_dir() else 0

    def sizes(self, container: Container, image_size: int) -> tuple[int, int]:
        """(SizeRw, SizeRootFs): the writable layer's bytes, and those plus the image's."""
        written = self.writable_size(container)
        return written, written + image_size

    # --- internals ---------------------------------------------------------------------------------------

    def _shown_owners(self, container: Container) -> OwnerMap | None:
        return owners_seen_by(container.host_config, self._config.userns_remap)

    def _upper(self, container: Container) -> Path:
        return Layout(self._config, container.id).directory / "fs" / "upper"

    @contextlib.contextmanager
    def _view(self, container: Container, *, with_mounts: bool) -> Iterator[RootView]:
        view, done = self._open(container, with_mounts=with_mounts)
        try:
            yield view
        finally:
            done()

    def _open(self, container: Container, *, with_mounts: bool) -> tuple[RootView, Callable[[], None]]:
        """A view of the container's root and the call that ends it. A stopped container stays locked while
        its overlay is mounted in the view, so a start never mounts the same upper directory beside it."""
        lock = self._lifecycle.lock(container)
        lock.acquire()
        try:
            name = f"rootview-{container.short_id}"
            if container.state.live:
                lock.release()
                lock = None
                if with_mounts or remapping_of(container.host_config, self._config.userns_remap) is None:
                    view = RootView(LiveRoot(container.state.pid, with_mounts), name)
                else:  # its mounts could not be detached from a copy of its namespace: its layers, read-only
                    view = RootView(self._layers_root(container, with_mounts, running=True), name)
            else:
                view = RootView(self._layers_root(container, with_mounts, running=False), name)
        except BaseException:
            if lock is not None:
                lock.release()
            raise

        def done() -> None:
            view.close()
            if lock is not None:
                lock.release()

        return view, done

    def _layers_root(self, container: Container, with_mounts: bool, *, running: bool) -> StoppedRoot:
        """A running container's upper layer is in use by its overlay: the view's overlay only reads it."""
        layout = Layout(self._config, container.id)
        remapping = remapping_of(container.host_config, self._config.userns_remap)
        fs = layout.directory / "fs"
        for sub in ("upper", "work"):
            (fs / sub).mkdir(parents=True, exist_ok=True)
        binds: list[Bind] = []
        if with_mounts:
            binds = [Bind(m["source"], m["destination"], not m["rw"]) for m in container.mounts if m["type"] != "tmpfs"]
            taken = {b.destination for b in binds}
            for name in _ETC_FILES:
                source = layout.etc_file(name)
                if f"/etc/{name}" not in taken and source.exists():
                    binds.append(Bind(str(source), f"/etc/{name}", False))
        # Under the writable layer, as a start mounts it (moby makes it at create: never started, it is there too)
        make_init_layer(fs / "init")
        return StoppedRoot(
            (str(fs / "init"), *reversed(container.layers)),
            str(fs / "upper"),
            str(fs / "work"),
            str(layout.exec_dir / "rootview"),
            tuple(binds),
            remapping.as_spec() if remapping else None,
            read_only=running,
        )

    @staticmethod
    def _refuse_read_only(container: Container, directory: str) -> None:
        """As moby's checkIfPathIsInAVolume: a read-only volume, or a read-only root outside any volume."""
        inside = [
            m
            for m in container.mounts
            if directory == m["destination"] or directory.startswith(m["destination"].rstrip("/") + "/")
        ]
        if inside:
            if not max(inside, key=lambda m: len(m["destination"]))["rw"]:
                raise InvalidParameter("mounted volume is marked read-only")
        elif container.host_config.get("ReadonlyRootfs"):
            raise InvalidParameter("container rootfs is marked read-only")
