"""One build stage's state between steps: the image it stands on, the run config the next image will carry,
the SHELL, the build args in scope; and the image config each step commits (moby's dispatchState and
commit): history entries with `created_by`, empty layers marked, diff_ids extended when a step made a layer."""

import copy
import time
from dataclasses import dataclass, field

from common.rfc3339 import format_ns
from runtime.images.builder.options import PREDEFINED_ARGS
from runtime.images.image import Image
from runtime.images.imageconfig import empty_container_config, host_architecture

DEFAULT_SHELL = ["/bin/sh", "-c"]
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def env_map(env: list[str] | None) -> dict[str, str]:
    return dict(item.partition("=")[::2] for item in env or [])


@dataclass
class StageState:
    image: Image | None  # None: FROM scratch, nothing committed yet
    config: dict  # the image config the stage stands on (architecture, os, rootfs, history, author)
    run_config: dict  # the container config the next commit carries (Env, Cmd, Entrypoint, ...)
    build_args: dict[str, str | None]  # --build-arg, as given
    meta_args: dict[str, str | None]  # the ARGs before the first FROM, their values (a stage's bare ARG takes them)
    args: dict[str, str | None] = field(default_factory=dict)  # ARGs declared in this stage, their values
    cmd_set: bool = False  # a CMD came in this stage: a later ENTRYPOINT keeps it

    @classmethod
    def from_image(
        cls, image: Image | None, build_args: dict[str, str | None], meta_args: dict[str, str | None]
    ) -> "StageState":
        if image is None:
            config = {"architecture": host_architecture(), "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
            run_config = empty_container_config()
        else:
            config = copy.deepcopy(image.config)
            run_config = {**empty_container_config(), **copy.deepcopy(image.container_config)}
        if not any(item.startswith("PATH=") for item in run_config.get("Env") or []):
            run_config["Env"] = [DEFAULT_PATH, *(run_config.get("Env") or [])]  # moby adds it at FROM
        run_config["OnBuild"] = None  # triggers run in this build; they are not inherited
        run_config["Image"] = image.id if image is not None else ""
        return cls(image, config, run_config, build_args, meta_args)

    @property
    def image_id(self) -> str:
        return self.image.id if self.image is not None else ""

    @property
    def shell(self) -> list[str]:
        return list(self.run_config.get("Shell") or DEFAULT_SHELL)

    def visible_args(self) -> dict[str, str]:
        """Build args with a value that the stage may use: declared ones, and the predefined proxy args."""
        values = {name: value for name, value in self.args.items() if value is not None}
        for name in PREDEFINED_ARGS:
            if self.build_args.get(name) is not None:
                values.setdefault(name, self.build_args[name])  # type: ignore[arg-type]
        return values

    def expansion_env(self) -> dict[str, str]:
        """What `$VAR` means in an instruction: ENV wins over a build arg of the same name."""
        return {**self.visible_args(), **env_map(self.run_config.get("Env"))}

    def run_env(self) -> list[str]:
        """A RUN step's environment: ENV plus the build args ENV does not set."""
        env = list(self.run_config.get("Env") or [])
        names = set(env_map(env))
        return env + [f"{k}={v}" for k, v in sorted(self.visible_args().items()) if k not in names]

    def args_prefix(self) -> list[str]:
        """`|N a=b c=d`, the build args a RUN's history and cache key carry (declared ones only)."""
        declared = sorted(f"{k}={v}" for k, v in self.args.items() if v is not None)
        return [f"|{len(declared)}", *declared] if declared else []

    def nop(self, text: str) -> str:
        return " ".join([*self.shell, f"#(nop) {text}"])

    def committed_config(self, created_by: str, diff_id: str | None, author: str | None = None) -> dict:
        """The image config after a step: the run config, one more history entry, maybe one more layer."""
        created = format_ns(time.time_ns())
        config = copy.deepcopy(self.config)
        config["created"] = created
        config["config"] = copy.deepcopy(self.run_config)
        config.pop("container_config", None)
        config.pop("container", None)
        config.pop("comment", None)  # a new image's, as moby's NewChildImage: the base's "Imported from -" stays there
        if author is not None:
            config["author"] = author
        entry: dict = {"created": created, "created_by": created_by}
        if author or config.get("author"):
            entry["author"] = author or config["author"]
        if diff_id is None:
            entry["empty_layer"] = True
        else:
            config.setdefault("rootfs", {"type": "layers", "diff_ids": []})
            config["rootfs"]["diff_ids"] = [*config["rootfs"].get("diff_ids", []), diff_id]
        config["history"] = [*(config.get("history") or []), entry]
        return config

    def adopt(self, image: Image) -> None:
        """The step's image (new or from the cache) is what the next step stands on (and the next image's
        Config.Image names, as moby's updateRunConfig)."""
        self.image = image
        self.config = copy.deepcopy(image.config)
        self.run_config["Image"] = image.id
