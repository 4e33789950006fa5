"""`POST /containers/create`: a container record from the client's Config and HostConfig and the image's config,
validated in full before anything is made, so a refused request leaves nothing behind."""

import secrets
from dataclasses import asdict
from typing import Any

from common import rfc3339
from logdrivers.errors import LogDriverError
from logdrivers.registry import Registry
from runtime.cgroups import Resources
from runtime.engine.config import DaemonConfig
from runtime.engine.model import Container
from runtime.engine.names import generate_name, validate_name
from runtime.engine.networking import ContainerNetworks
from runtime.engine.restart import RestartPolicy
from runtime.engine.store import ContainerStore
from runtime.engine.unsupported import refuse_unsupported
from runtime.errors import InvalidParameter
from runtime.images.store import ImageStore
from runtime.volumes import plan_mounts, realize
from runtime.volumes.binds import parse_volumes_from
from runtime.volumes.mountpoint import MountPoint
from runtime.volumes.service import VolumeService


def merge_config(config: dict[str, Any], image_config: dict[str, Any]) -> dict[str, Any]:
    """The client's Config over the image's, as moby's merge does: -e wins per key, Entrypoint given by the
    client drops the image's Cmd, labels, exposed ports and volumes add up."""
    image = image_config.get("config") or {}
    merged = dict(config)
    env: dict[str, str] = {}
    for item in (image.get("Env") or []) + (config.get("Env") or []):
        env[item.partition("=")[0]] = item
    merged["Env"] = list(env.values())
    entrypoint = config.get("Entrypoint")
    if not entrypoint:
        if not config.get("Cmd"):
            merged["Cmd"] = image.get("Cmd")
        if entrypoint is None:
            entrypoint = image.get("Entrypoint")
    merged["Entrypoint"] = [] if entrypoint == [""] else entrypoint
    for key in ("WorkingDir", "User", "StopSignal"):
        merged[key] = config.get(key) or image.get(key) or ""
    merged["Labels"] = {**(image.get("Labels") or {}), **(config.get("Labels") or {})}
    for key in ("ExposedPorts", "Volumes"):
        union = {**(image.get(key) or {}), **(config.get(key) or {})}
        merged[key] = union or None
    return merged


def _argv(config: dict[str, Any]) -> list[str]:
    argv = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    if not argv:
        raise InvalidParameter("no command specified")
    return argv


def _check_unsupported(config: dict[str, Any]) -> None:
    if config.get("Tty"):
        raise InvalidParameter("porthole: Tty: pseudo-terminals are not supported yet; run without -t")
    workdir = config.get("WorkingDir") or ""
    if workdir and not workdir.startswith("/"):
        raise InvalidParameter(f"the working directory '{workdir}' is invalid, it needs to be an absolute path")


def normalize_host_config(host_config: dict[str, Any], log_registry: Registry, config: DaemonConfig) -> dict:
    """Validates every HostConfig field the engine acts on and fills in Docker's defaults."""
    hc = dict(host_config)
    resources = Resources.from_host_config(hc)
    if resources.memory is not None and not hc.get("MemorySwap"):
        hc["MemorySwap"] = resources.memory_swap  # moby's adaptContainerSettings: twice the memory, in inspect too
    RestartPolicy.from_host_config(hc)
    hc["RestartPolicy"] = hc.get("RestartPolicy") or {"Name": "no", "MaximumRetryCount": 0}
    hc["RestartPolicy"].setdefault("Name", "no")
    hc["RestartPolicy"]["Name"] = hc["RestartPolicy"]["Name"] or "no"
    log = dict(hc.get("LogConfig") or {})
    driver = log.get("Type") or config.log_driver
    options = dict(log.get("Config") or ({} if log.get("Type") else config.log_opts))
    try:
        log_registry.validate(driver, options)
    except LogDriverError as e:
        raise InvalidParameter(str(e)) from None
    hc["LogConfig"] = {"Type": driver, "Config": options}
    if hc.get("NetworkMode") in (None, "", "default"):
        hc["NetworkMode"] = "bridge"
    for key, default in (("Binds", None), ("VolumesFrom", None), ("AutoRemove", False), ("PortBindings", {})):
        hc.setdefault(key, default)
    return hc


class ContainerFactory:
    def __init__(
        self,
        config: DaemonConfig,
        store: ContainerStore,
        images: ImageStore,
        volumes: VolumeService,
        log_registry: Registry,
        networks: ContainerNetworks,
    ) -> None:
        self._config = config
        self._store = store
        self._images = images
        self._volumes = volumes
        self._log_registry = log_registry
        self._networks = networks

    def create(self, name: str | None, body: dict[str, Any]) -> Container:
        if name:
            name = validate_name(name)
        image_ref = body.get("Image") or ""
        if not image_ref:
            raise InvalidParameter("Config.Image: an image is required")
        image = self._images.resolve(image_ref)
        _check_unsupported(body)
        refuse_unsupported(body)
        host_config = normalize_host_config(body.get("HostConfig") or {}, self._log_registry, self._config)
        networking = body.get("NetworkingConfig") or {}
        config = {k: v for k, v in body.items() if k not in ("HostConfig", "NetworkingConfig")}
        config = merge_config(config, image.config)
        argv = _argv(config)
        plan = plan_mounts(
            binds=host_config.get("Binds") or [],
            config_volumes=body.get("Volumes") or {},
            mounts=host_config.get("Mounts") or [],
            image_volumes=(image.config.get("config") or {}).get("Volumes") or {},
            volumes_from=[self._volumes_from(entry) for entry in host_config.get("VolumesFrom") or []],
            volume_driver=host_config.get("VolumeDriver") or "",
        )
        if name:
            self._store.add_conflict(name)
        container_id = secrets.token_hex(32)
        config["Image"] = image_ref
        config["Hostname"] = config.get("Hostname") or container_id[:12]
        container = Container(
            id=container_id,
            name=name or generate_name({c.name for c in self._store}),
            created=rfc3339.now(),
            image_ref=image_ref,
            image_id=image.id,
            config=config,
            host_config=host_config,
            networking_config=networking,
            mounts=[],
            path=argv[0],
            args=argv[1:],
            layers=[str(p) for p in self._images.layer_paths(image)],
        )
        self._networks.register(container)  # validates networks, addresses and ports; records them
        try:
            mounts = realize(plan, self._volumes, lambda path, dest: self._images.copy_out(image, path, dest))
            container.mounts = [asdict(m) for m in mounts]
            self._images.hold_layers(container_id, image)
            self._store.add(container)
        except BaseException:  # e.g. the name was taken meanwhile: nothing of a refused create stays
            self._images.release_layers(container_id)
            for request in plan.volumes:
                if request.anonymous:
                    self._volumes.remove(request.name, force=True, users=lambda _: [])
            self._networks.forget(container)
            raise
        return container

    def release_layers(self, container_id: str) -> None:
        self._images.release_layers(container_id)

    def _volumes_from(self, entry: str) -> tuple[list[MountPoint], str]:
        ref, mode = parse_volumes_from(entry)
        other = self._store.get(ref)
        return [MountPoint(**m) for m in other.mounts], mode
