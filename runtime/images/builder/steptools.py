"""The work of a cache miss: RUN in a real container (through the engine's StepRunner), COPY/ADD and WORKDIR in
the stage's mounted root; each step's changes (the overlay upper directory) become one layer in the store.
Layers stay pinned until the orchestrator recorded the image that uses them (`release_all`)."""

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from runtime.errors import InvalidParameter
from runtime.images.builder.context import BuildContext
from runtime.images.builder.copying import RootWriter, parse_ownership
from runtime.images.builder.instructions import Instruction
from runtime.images.builder.options import BuildOptions
from runtime.images.builder.progress import ContainerRemoved, ContainerStarted, Output, Progress, StepCost
from runtime.images.builder.remote import Downloads, is_url
from runtime.images.builder.runner import StepRunner, StepSpec
from runtime.images.builder.scratchroot import mounted_root
from runtime.images.builder.sources import Source, SourceError, checksum, find_sources
from runtime.images.builder.stage import StageState
from runtime.images.builder.trees import DirectoryTree, SourceTree
from runtime.images.image import Image
from runtime.images.store import ImageStore
from runtime.images.upperdiff import MOUNT_PLACEHOLDERS, PipedWriter, prepare_for_adoption, write_upper_tar


class StepFailed(InvalidParameter):
    """A RUN step's command exited non-zero; `code` goes into the stream's errorDetail."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class BuildCancelled(InvalidParameter):
    """The client went away; the build stops and removes its containers."""


class BuildTools:
    def __init__(
        self,
        store: ImageStore,
        runner: StepRunner,
        tmp: Path,
        context: BuildContext,
        options: BuildOptions,
        emit: Callable[[Progress], None],
        cancelled: threading.Event,
        stage_image: Callable[[str], Image | None],
    ) -> None:
        self._store = store
        self._runner = runner
        self._tmp = tmp
        self._context = context
        self._options = options
        self._emit = emit
        self._cancelled = cancelled
        self._stage_image = stage_image  # COPY --from: a stage's name or index, or an image reference
        self._releases: list[Callable[[], None]] = []
        self._downloads = Downloads(tmp)  # ADD's URLs, fetched once per build
        self._cost: StepCost | None = None  # the last RUN step's, until the orchestrator takes it

    def take_cost(self) -> StepCost | None:
        """The cost of the RUN step just done (None after any other step)."""
        cost, self._cost = self._cost, None
        return cost

    def close(self) -> None:
        """The build is over: what its ADD steps downloaded goes."""
        self._downloads.remove()

    def release_all(self) -> None:
        releases, self._releases = self._releases, []
        for release in releases:
            release()

    # --- RUN ---------------------------------------------------------------------------------------------

    def _step_spec(self, state: StageState, argv: list[str]) -> StepSpec:
        rc = state.run_config
        return StepSpec(
            state.image_id,
            argv,
            state.run_env(),
            rc.get("WorkingDir") or "/",
            rc.get("User") or "",
            self._options.network_mode,
            self._options.extra_hosts,
            self._options.resources,
        )

    def _finish_container(self, container_id: str, succeeded: bool) -> None:
        """--rm removes the container of a step that succeeded, --force-rm (or a cancel) that of one that failed."""
        remove = self._options.remove if succeeded else self._options.force_remove or self._cancelled.is_set()
        if remove:
            self._runner.remove(container_id)
            if succeeded:
                self._emit(ContainerRemoved(container_id))

    @contextlib.contextmanager
    def metadata_container(self, state: StageState, comment: str) -> Iterator[None]:
        """The container Docker 20.10's classic builder makes for a step that runs nothing (ENV, LABEL, CMD,
        WORKDIR...) before committing it, never started: `Running in` and `Removing intermediate container` in
        the stream where Docker prints them, and a container `--rm=false` keeps, as Docker's (in a stage FROM
        scratch, a container of no image, as Docker makes one)."""
        container_id = self._runner.create(self._step_spec(state, [*state.shell, comment]))
        self._emit(ContainerStarted(container_id))
        succeeded = False
        try:
            yield
            succeeded = True
        finally:
            self._finish_container(container_id, succeeded)

    def run(self, state: StageState, argv: list[str]) -> str:
        container_id = self._runner.create(self._step_spec(state, argv))
        self._emit(ContainerStarted(container_id))
        succeeded = False
        try:
            outcome = self._runner.run(container_id, lambda data: self._emit(Output(data)), self._cancelled)
            if self._cancelled.is_set():
                raise BuildCancelled("build: cancelled: the client went away")
            if outcome.exit_code != 0:
                raise StepFailed(
                    f"The command '{' '.join(argv)}' returned a non-zero code: {outcome.exit_code}", outcome.exit_code
                )
            what = f"build: RUN {argv[-1][:40]!r}"
            if self._options.remove:  # the container goes after the step: its upper directory can move
                diff_id, size = self._layer_from(outcome.upper_dir, what, MOUNT_PLACEHOLDERS)
            else:  # --rm=false keeps the container whole: its changes are copied
                diff_id, size = self._layer_copied(outcome.upper_dir, what, MOUNT_PLACEHOLDERS)
            self._cost = StepCost(outcome.profile, size)
            self._emit(self._cost)
            succeeded = True
            return diff_id
        finally:
            self._finish_container(container_id, succeeded)

    # --- COPY, ADD, WORKDIR ------------------------------------------------------------------------------

    def sources_checksum(self, state: StageState, instruction: Instruction, patterns: list[str]) -> str:
        source_image = self._from_image(instruction)
        if source_image is None:
            return checksum(self._find(self._context.tree, instruction, patterns), self._context.ignore)
        with mounted_root(self._tmp, self._store.layer_paths(source_image), writable=False) as root:
            return checksum(self._find(DirectoryTree(root.merged), instruction, patterns), None)

    def copy(self, state: StageState, instruction: Instruction, patterns: list[str], destination: str) -> str:
        workdir = state.run_config.get("WorkingDir") or "/"
        absolute = destination if destination.startswith("/") else f"{workdir.rstrip('/')}/{destination}"
        if destination.endswith("/") and not absolute.endswith("/"):
            absolute += "/"
        source_image = self._from_image(instruction)
        if source_image is None:
            return self._copy_from(state, instruction, self._context.tree, patterns, absolute)
        with mounted_root(self._tmp, self._store.layer_paths(source_image), writable=False) as source_root:
            return self._copy_from(state, instruction, DirectoryTree(source_root.merged), patterns, absolute)

    def make_workdir(self, state: StageState, path: str) -> str | None:
        with mounted_root(self._tmp, self._layers(state)) as root:
            writer = RootWriter(root.merged, parse_ownership(root.merged, None, None))
            if writer.is_dir(path):
                return None
            writer.make_dirs(path)
            root.unmount()
            return self._layer_from(root.upper, f"build: WORKDIR {path}")[0]

    # --- internals ---------------------------------------------------------------------------------------

    def _layers(self, state: StageState) -> list[Path]:
        return self._store.layer_paths(state.image) if state.image is not None else []

    def _from_image(self, instruction: Instruction) -> Image | None:
        name = instruction.flags.get("from")
        if not name:
            return None
        image = self._stage_image(name)
        if image is None:
            raise InvalidParameter(f"invalid from flag value {name}: the stage or image has no filesystem")
        return image

    def _find(self, tree: SourceTree, instruction: Instruction, patterns: list[str]) -> list[Source]:
        try:
            ignore = self._context.ignore if tree is self._context.tree else None
            if not any(is_url(pattern) for pattern in patterns):
                return find_sources(tree, patterns, ignore)
            if instruction.keyword != "ADD" or instruction.flags.get("from"):
                raise SourceError(f"source can't be a URL for {instruction.keyword}")
            found: list[Source] = []
            for pattern in patterns:  # in the order given: the checksum of several sources depends on it
                found += [self._downloads.fetch(pattern)] if is_url(pattern) else find_sources(tree, [pattern], ignore)
            return found
        except SourceError as error:
            raise SourceError(f"{instruction.keyword} failed: {error.message}") from None

    def _copy_from(
        self, state: StageState, instruction: Instruction, tree: SourceTree, patterns: list[str], destination: str
    ) -> str:
        sources = self._find(tree, instruction, patterns)
        if len(sources) > 1 and not destination.endswith("/"):
            raise InvalidParameter(
                f"When using {instruction.keyword} with more than one source file, the destination must be a "
                "directory and end with a /"
            )
        with mounted_root(self._tmp, self._layers(state)) as root:
            owner = parse_ownership(root.merged, instruction.flags.get("chown"), instruction.flags.get("chmod"))
            writer = RootWriter(root.merged, owner)
            into = destination.endswith("/") or writer.is_dir(destination)
            try:
                for source in sources:
                    unpack = instruction.keyword == "ADD" and not source.is_dir and source.tree is self._context.tree
                    if not (unpack and writer.unpack(source, destination)):
                        writer.copy(source, destination, into_directory=into)
            except SourceError as error:
                raise SourceError(f"{instruction.keyword} failed: {error.message}") from None
            root.unmount()
            return self._layer_from(root.upper, f"build: {instruction.keyword}")[0]

    def _layer_copied(self, upper: Path, what: str, placeholders: frozenset[str]) -> tuple[str, int]:
        writer = PipedWriter(lambda out: write_upper_tar(str(upper), out, placeholders), "build-layer")
        try:
            extracted, release = self._store.add_layer(writer.reader, what)
        finally:
            writer.close()
        self._releases.append(release)
        return extracted.diff_id, extracted.size

    def _layer_from(self, upper: Path, what: str, placeholders: frozenset[str] = frozenset()) -> tuple[str, int]:
        """The step's upper directory becomes the layer: moved into the store, not copied (it is thrown away
        after the step anyway)."""
        prepare_for_adoption(str(upper), placeholders)
        extracted, release = self._store.adopt_layer(
            upper, what, lambda out, on_payload: write_upper_tar(str(upper), out, on_payload=on_payload)
        )
        self._releases.append(release)
        return extracted.diff_id, extracted.size
