"""The build context: the tar the client sends (plain or compressed) unpacked into a private directory with the
layer extractor's checks (no absolute names, no `..`, no writes through symlinks), its .dockerignore read,
the Dockerfile found. Removed with the build."""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import InvalidParameter
from runtime.images.builder.dockerignore import IgnoreRules
from runtime.images.builder.sources import resolve_inside
from runtime.images.layers import TREE_DIR, extract_layer
from runtime.images.layerstore import remove_tree
from runtime.images.readers import CountingReader, Readable


@dataclass
class BuildContext:
    directory: Path  # private; `root` is below it
    ignore: IgnoreRules
    size: int  # bytes received

    @property
    def root(self) -> Path:
        return self.directory / TREE_DIR

    def dockerfile(self, name: str) -> str:
        path = self.root / resolve_inside(self.root, name)
        if not path.is_file():
            raise InvalidParameter(f"Cannot locate specified Dockerfile: {name}")
        return path.read_text(encoding="utf-8", errors="replace")

    def remove(self) -> None:
        remove_tree(self.directory)


def receive_context(stream: Readable, tmp: Path) -> BuildContext:
    directory = Path(tempfile.mkdtemp(prefix="build-context-", dir=tmp))
    counting = CountingReader(stream, None)
    try:
        extract_layer(counting, directory, "build context")
        ignore_file = directory / TREE_DIR / ".dockerignore"
        rules = (
            ignore_file.read_text(errors="replace") if ignore_file.is_file() and not ignore_file.is_symlink() else ""
        )
        return BuildContext(directory, IgnoreRules(rules), counting.total)
    except BaseException:
        remove_tree(directory)
        raise
