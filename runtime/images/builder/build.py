"""The classic builder (`POST /build`): context in, Dockerfile parsed in full before any step, stages built in
order up to `--target`, each step probed in the layer cache and otherwise done and committed as an image of
its own (the next step's parent, as moby's builder does), then the tags. Progress goes out as typed records.
"""

import contextlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from runtime.errors import InvalidParameter, NotFound
from runtime.images.builder.cache import BuildCache, cache_key
from runtime.images.builder.context import BuildContext, receive_context
from runtime.images.builder.dispatch import plan_step
from runtime.images.builder.dockerfile import Line, parse_dockerfile
from runtime.images.builder.instructions import Instruction, Program, Stage, parse_program
from runtime.images.builder.options import BuildOptions
from runtime.images.builder.profiles import StepProfiles, StepRecord
from runtime.images.builder.progress import Built, CacheHit, Notice, Progress, StepImage, StepStarted, Tagged
from runtime.images.builder.runner import StepRunner
from runtime.images.builder.stage import StageState
from runtime.images.builder.steptools import BuildCancelled, BuildTools
from runtime.images.image import Image
from runtime.images.metrics import ImageMetrics
from runtime.images.readers import Readable
from runtime.images.reference import parse_repo_and_tag
from runtime.images.shellwords import expand_word
from runtime.images.store import ImageStore

# Steps whose work makes no step container of Docker's kind: RUN makes its own, COPY and ADD write the layer.
_OWN_CONTAINER = frozenset({"RUN", "COPY", "ADD"})
_STAGE_INDEX = re.compile(r"[+-]?[0-9]+")  # what Go's strconv.ParseInt reads as a number

ImageSource = Callable[[str, Callable[[Progress], None]], Image]  # FROM of an image not stored: pull it


class Builder:
    def __init__(
        self,
        store: ImageStore,
        runner: StepRunner,
        data_root: Path,
        metrics: ImageMetrics,
        fetch_base: ImageSource | None = None,
    ):
        self.metrics = metrics
        self._store = store
        self._runner = runner
        self._tmp = data_root / "tmp"
        self._fetch_base = fetch_base
        self.cache = BuildCache(data_root, self._exists)
        self.profiles = StepProfiles(data_root)

    def _exists(self, image_id: str) -> bool:
        try:
            self._store.resolve(image_id)
        except NotFound:
            return False
        return True

    def build(
        self, stream: Readable, options: BuildOptions, emit: Callable[[Progress], None], cancelled: threading.Event
    ) -> Image:
        for tag in options.tags:
            parse_repo_and_tag(tag, None)  # a bad -t fails before the context is read
        context = receive_context(stream, self._tmp)
        self.metrics.context_bytes.inc(context.size)
        try:
            text = context.take_dockerfile(options.dockerfile)
            dockerfile = parse_dockerfile(text, options.dockerfile)
            program = parse_program(dockerfile)
            for warning in dockerfile.warnings:
                emit(Notice(warning))
            return _Run(self, context, program, options, emit, cancelled).build()
        finally:
            context.remove()
            self.cache.flush()


class _Run:
    """One build: its stages' images, its step counter, its tools."""

    def __init__(
        self,
        builder: Builder,
        context: BuildContext,
        program: Program,
        options: BuildOptions,
        emit: Callable[[Progress], None],
        cancelled: threading.Event,
    ) -> None:
        self._builder = builder
        self._store = builder._store
        self._program = program
        self._options = options
        self._emit = emit
        self._cancelled = cancelled
        self._stages: list[Stage] = list(program.stages[: self._target_index() + 1])
        if options.labels:
            labels = tuple(self._label_step(key, value) for key, value in sorted(options.labels.items()))
            self._stages[-1] = replace(self._stages[-1], steps=(*self._stages[-1].steps, *labels))
        self._built: dict[str, Image | None] = {}  # stage name or index -> its image
        self._meta: dict[str, str | None] = {}
        self._used_args: set[str] = set()
        self._step = 0
        self._total = len(program.meta_args) + sum(1 + len(stage.steps) for stage in self._stages)
        self._tools = BuildTools(
            self._store, builder._runner, builder._tmp, context, options, emit, cancelled, self._stage_image
        )

    def _target_index(self) -> int:
        if not self._options.target:
            return len(self._program.stages) - 1
        for index, stage in enumerate(self._program.stages):
            if stage.name == self._options.target.lower():
                return index
        raise InvalidParameter(f"failed to reach build target {self._options.target} in Dockerfile")

    def _label_step(self, key: str, value: str) -> Instruction:
        """A --label: a LABEL step of its own, its value never expanded (moby's buildLabelOptions)."""
        text = f"{key}={value}"
        escape = self._program.escape
        literal = "".join(escape + char if char in f"${escape}\"' \t" else char for char in text)
        return Instruction("LABEL", (literal,), Line("LABEL", (), text, f"LABEL {text}", 0))

    def build(self) -> Image:
        try:
            for instruction in self._program.meta_args:
                self._start_step(instruction)
                for word in instruction.args:
                    name, equals, default = word.partition("=")
                    value = expand_word(default, self._meta_values(), self._program.escape) if equals else None
                    given = self._options.build_args.get(name)
                    self._meta[name] = given if given is not None else value
                    self._used_args.add(name)
            image = None
            for index, stage in enumerate(self._stages):
                image = self._build_stage(stage)
                self._built[str(index)] = image
                if stage.name:
                    self._built[stage.name] = image
        finally:
            self._tools.release_all()
            self._tools.close()
        if image is None:
            raise InvalidParameter("No image was generated. Is your Dockerfile empty?")
        unused = sorted(set(self._options.build_args) - self._used_args)
        if unused:
            self._emit(Notice(f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed"))
        self._emit(Built(image.id))
        for name in self._store.set_tags(image, self._options.tags):
            self._emit(Tagged(name))
        return image

    def _meta_values(self) -> dict[str, str]:
        return {k: v for k, v in self._meta.items() if v is not None}

    def _start_step(self, instruction: Instruction) -> None:
        if self._cancelled.is_set():
            raise BuildCancelled("build: cancelled: the client went away")
        self._step += 1
        self._emit(StepStarted(self._step, self._total, instruction.line.original))

    def _build_stage(self, stage: Stage) -> Image | None:
        self._start_step(stage.base)
        base = self._base_image(expand_word(stage.base.args[0], self._meta_values(), self._program.escape))
        state = StageState.from_image(base, self._options.build_args, self._meta)
        triggers = list((base.container_config.get("OnBuild") or []) if base is not None else [])
        if triggers:
            self._emit(Notice(f"# Executing {len(triggers)} build trigger{'s' if len(triggers) > 1 else ''}"))
            trigger_file = parse_dockerfile("FROM scratch\n" + "\n".join(triggers))
            for trigger in parse_program(trigger_file).stages[0].steps:
                self._do_step(state, trigger)
        self._emit(StepImage(state.image_id))  # after the triggers, as Docker; FROM scratch: a bare ` ---> `
        for instruction in stage.steps:
            self._start_step(instruction)
            self._do_step(state, instruction)
            if state.image is not None:
                self._emit(StepImage(state.image.id))
        return state.image

    def _base_image(self, name: str) -> Image | None:
        if name == "scratch":
            return None
        if name.lower() in self._built:
            return self._built[name.lower()]
        try:
            if self._options.pull and self._builder._fetch_base is not None:
                return self._builder._fetch_base(name, self._emit)
            return self._store.resolve(name)
        except NotFound:
            if self._builder._fetch_base is None:
                raise
            return self._builder._fetch_base(name, self._emit)

    def _stage_image(self, name: str) -> Image | None:
        """COPY --from's image: a stage built already, by name or index, else an image (moby's stages.get)."""
        if name.lower() in self._built:
            return self._built[name.lower()]
        if _STAGE_INDEX.fullmatch(name):  # not a built stage's: this one's, or none
            current = sum(key.isdigit() for key in self._built)
            why = "refers to current build stage" if int(name) == current else "index out of bounds"
            raise InvalidParameter(f"invalid from flag value {name}: {why}")
        return self._base_image(name)

    def _do_step(self, state: StageState, instruction: Instruction) -> None:
        if instruction.keyword == "ARG":
            self._used_args.update(word.partition("=")[0] for word in instruction.args)
        plan = plan_step(self._tools, state, instruction, self._program.escape)
        if plan.note is not None:
            self._emit(Notice(plan.note))
        parent = state.image_id
        key = cache_key(parent, plan.created_by, state.run_config)
        cached = None if self._options.no_cache else self._builder.cache.lookup(key)
        metrics = self._builder.metrics
        if cached is not None:
            metrics.cache.labels("hit").inc()
            self._emit(CacheHit())
            state.adopt(self._store.resolve(cached))
            return
        metrics.cache.labels("miss").inc()
        started = time.monotonic()
        comment = plan.created_by.removeprefix(" ".join(state.shell) + " ")
        own = instruction.keyword in _OWN_CONTAINER
        with contextlib.nullcontext() if own else self._tools.metadata_container(state, comment):
            diff_id = plan.work() if plan.work is not None else None
        wall = time.monotonic() - started
        metrics.build_steps.labels(instruction.keyword).observe(wall)
        image = self._store.create_image(state.committed_config(plan.created_by, diff_id, plan.author), parent or None)
        self._tools.release_all()
        self._builder.cache.record(key, image.id)
        self._builder.profiles.record(self._step_record(image.id, plan.created_by, wall))
        state.adopt(image)

    def _step_record(self, image_id: str, created_by: str, wall: float) -> StepRecord:
        cost = self._tools.take_cost()
        if cost is None:
            return StepRecord(image_id, created_by, wall)
        p = cost.profile
        return StepRecord(
            image_id, created_by, p.wall_seconds, p.cpu_seconds, p.peak_memory_bytes, p.written_bytes, cost.layer_bytes
        )
