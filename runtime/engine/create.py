"""`POST /containers/create`: a container record from the client's Config and HostConfig and the image's config,
validated in full before anything is made, so a refused request leaves nothing behind."""

import secrets
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from common import rfc3339
from logdrivers.registry import LogConfig, Registry
from runtime.cgroups import Resources
from runtime.engine.config import DaemonConfig
from runtime.engine.deferred import DeferredWork
from runtime.engine.healthsettings import check_healthcheck, health_settings, merge_healthcheck
from runtime.engine.isolation import check_isolation
from runtime.engine.launch import is_cgroup_v2, resource_warnings
from runtime.engine.links import register_links
from runtime.engine.logconfig import parse_at_create
from runtime.engine.model import Container
from runtime.engine.names import generate_name, validate_name
from runtime.engine.networking import ContainerNetworks
from runtime.engine.restart import RestartPolicy
from runtime.engine.signals import parse_signal
from runtime.engine.store import ContainerStore
from runtime.engine.unsupported import refuse_unsupported
from runtime.errors import InvalidParameter, NotFound
from runtime.images.image import NO_IMAGE
from runtime.images.store import ImageStore
from runtime.security import SecurityPolicy
from runtime.security.userns import shift_owners
from runtime.shim.isolation import DEFAULT_SHM_SIZE
from runtime.shim.rootfs import MASKED_PATHS, READONLY_PATHS
from runtime.volumes import plan_mounts, realize
from runtime.volumes.binds import parse_volumes_from
from runtime.volumes.mountpoint import MountPoint
from runtime.volumes.service import VolumeService

# What inspect and info call the runtime: Docker's default's name (porthole's shim plays runc's part), the only
# one a client may ask for.
DEFAULT_RUNTIME = "runc"


MAC_CONFLICT = "conflicting options: mac-address and the network mode"
MAC_ADDRESS_DEPRECATED = (
    "The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead."
)


@dataclass(frozen=True)
class Created:
    container: Container
    warnings: list[str]  # Docker's, for limits this host cannot apply: the CLI prints each


# Docker's container.Config: what Go's decoder keeps of a create body (other fields are dropped, as there)
CONFIG_FIELDS = frozenset(
    {"Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr", "ExposedPorts", "Tty",
     "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck", "ArgsEscaped", "Image", "Volumes", "WorkingDir",
     "Entrypoint", "NetworkDisabled", "MacAddress", "OnBuild", "Labels", "StopSignal", "StopTimeout", "Shell"}
)  # fmt: skip


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
    merged["Healthcheck"] = merge_healthcheck(config.get("Healthcheck"), image.get("Healthcheck"))
    merged["Shell"] = config.get("Shell") or image.get("Shell")
    return merged


def _argv(config: dict[str, Any]) -> list[str]:
    argv = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    if not argv:
        raise InvalidParameter("no command specified")
    return argv


def _check_unsupported(config: dict[str, Any]) -> None:
    host_config = config.get("HostConfig") or {}
    runtime = host_config.get("Runtime") or DEFAULT_RUNTIME
    if runtime != DEFAULT_RUNTIME:
        raise InvalidParameter(f"unknown or invalid runtime name: {runtime}")
    if host_config.get("StorageOpt"):  # Docker's overlay2 takes a size only on xfs with project quotas
        raise InvalidParameter("--storage-opt is supported only for overlay over xfs with 'pquota' mount option")
    workdir = config.get("WorkingDir") or ""
    if workdir and not workdir.startswith("/"):
        raise InvalidParameter(f"the working directory '{workdir}' is invalid, it needs to be an absolute path")


def _move_container_mac(body: dict[str, Any], host_config: dict, networking: dict) -> list[str]:
    """Config.MacAddress (docker-py's mac_address, deprecated since API 1.44) becomes the primary network's
    endpoint MacAddress, with moby's warning, unless the endpoint names one."""
    mac = body.pop("MacAddress", None)
    if not mac:
        return []
    endpoints = networking.setdefault("EndpointsConfig", {})
    mode = host_config["NetworkMode"]
    key = next((k for k in (mode, "default") if k in endpoints), mode)
    endpoint = endpoints.setdefault(key, {}) or {}
    endpoints[key] = {**endpoint, "MacAddress": endpoint.get("MacAddress") or mac}
    return [MAC_ADDRESS_DEPRECATED]


def _check_mode_mac(host_config: dict, networking: dict) -> None:
    """moby's validateNetMode: a container on the host's network or in another's namespace has no interface of
    its own to give a MAC address (Docker 20.10 answers this 400; with `none` it takes the address and ignores it)."""
    mode = host_config.get("NetworkMode") or ""
    if mode != "host" and not mode.startswith("container:"):
        return
    if any((endpoint or {}).get("MacAddress") for endpoint in (networking.get("EndpointsConfig") or {}).values()):
        raise InvalidParameter(MAC_CONFLICT)


def normalize_host_config(
    host_config: dict[str, Any], log_registry: Registry, config: DaemonConfig
) -> tuple[dict, LogConfig]:
    """Validates every HostConfig field the engine acts on and fills in Docker's defaults; the log configuration
    comes back parsed (runtime.engine.logconfig)."""
    hc = dict(host_config)
    resources = Resources.from_host_config(hc)
    if resources.memory is not None and not hc.get("MemorySwap"):
        hc["MemorySwap"] = resources.memory_swap  # moby's adaptContainerSettings: twice the memory, in inspect too
    RestartPolicy.from_host_config(hc)
    hc["RestartPolicy"] = hc.get("RestartPolicy") or {"Name": "no", "MaximumRetryCount": 0}
    hc["RestartPolicy"].setdefault("Name", "no")
    hc["RestartPolicy"]["Name"] = hc["RestartPolicy"]["Name"] or "no"
    log_config = parse_at_create(hc, log_registry, config)
    if hc.get("NetworkMode") in (None, "", "default"):
        hc["NetworkMode"] = "bridge"
    hc["Runtime"] = DEFAULT_RUNTIME
    for key, default in (("Binds", None), ("VolumesFrom", None), ("AutoRemove", False), ("PortBindings", {})):
        hc.setdefault(key, default)
    _fill_isolation_defaults(hc, is_cgroup_v2(config))
    return hc, log_config


def _fill_isolation_defaults(hc: dict[str, Any], cgroup_v2: bool) -> None:
    """What a start applies when these are unset, written in at create as moby's adaptContainerSettings and create
    do, so that inspect shows it: 64 MB of /dev/shm, a private IPC namespace, a private cgroup namespace on a v2
    host only, the shim's masked and read-only paths unless privileged (which masks none); swappiness -1 is unset."""
    hc["ShmSize"] = hc.get("ShmSize") or DEFAULT_SHM_SIZE
    hc["IpcMode"] = hc.get("IpcMode") or "private"
    hc["CgroupnsMode"] = hc.get("CgroupnsMode") or ("private" if cgroup_v2 else "host")
    if hc.get("MemorySwappiness") == -1:
        hc["MemorySwappiness"] = None
    if not hc.get("Privileged"):
        for key, paths in (("MaskedPaths", MASKED_PATHS), ("ReadonlyPaths", READONLY_PATHS)):
            if hc.get(key) is None:
                hc[key] = list(paths)


class ContainerFactory:
    def __init__(
        self,
        config: DaemonConfig,
        store: ContainerStore,
        images: ImageStore,
        volumes: VolumeService,
        log_registry: Registry,
        networks: ContainerNetworks,
        security: SecurityPolicy,
        deferred: DeferredWork,
    ) -> None:
        self._config = config
        self._security = security
        self._store = store
        self._images = images
        self._volumes = volumes
        self._log_registry = log_registry
        self._networks = networks
        self._deferred = deferred

    def create(self, name: str | None, body: dict[str, Any], *, scratch: bool = False) -> Created:
        """`scratch`: a build step's container in a stage FROM scratch, of no image (an empty root), as moby's
        builder makes one; the API always names an image."""
        if name:
            name = validate_name(name)
        image_ref = body.get("Image") or ""
        if not image_ref and not scratch:
            raise InvalidParameter("Config.Image: an image is required")
        image = self._images.resolve(image_ref) if image_ref else NO_IMAGE
        _check_unsupported(body)
        refuse_unsupported(body)
        check_healthcheck(body.get("Healthcheck"))
        if body.get("StopSignal"):
            parse_signal(body["StopSignal"])  # moby's verifyContainerSettings: "Invalid signal: SIGFOO"
        host_config, log_config = normalize_host_config(body.get("HostConfig") or {}, self._log_registry, self._config)
        self._security.program(self._security.confinement(host_config))  # a bad option or profile fails here
        check_isolation(
            host_config,
            body.get("Hostname") or "",
            self._store.get,
            self._config.init_path,
            remapped=self._config.userns_remap is not None,
        )
        networking = body.get("NetworkingConfig") or {}
        warnings = _move_container_mac(body, host_config, networking)
        _check_mode_mac(host_config, networking)
        config = {k: v for k, v in body.items() if k in CONFIG_FIELDS}
        config = merge_config(config, image.config)
        health_settings(config["Healthcheck"], config["Shell"])  # an unknown Test type is refused now
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
        # --uts host: the host's name, which the container sees
        own_name = socket.gethostname() if host_config.get("UTSMode") == "host" else container_id[:12]
        config["Hostname"] = config.get("Hostname") or own_name
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
            log_config=log_config,
        )
        register_links(container, self._store)
        self._networks.register(container)  # validates networks, addresses and ports; records them
        try:
            mounts = realize(plan, self._volumes, lambda path, dest: self._fill_volume(image, path, dest))
            container.mounts = [asdict(m) for m in mounts]
            warnings += resource_warnings(self._config, container_id, host_config)
            self._images.hold_layers(container_id, image)
            self._store.add(container)
        except BaseException:  # e.g. the name was taken meanwhile, a full disk: nothing of a refused create stays
            self._networks.forget(container)
            for request in plan.volumes:
                if request.anonymous:
                    self._volumes.remove(request.name, force=True, users=lambda _: [])
            self.release_layers(container_id)
            raise
        return Created(container, warnings)

    def _fill_volume(self, image: str, path: str, destination: Path) -> None:
        """The image's content at `path`, copied into a new volume; under --userns-remap with its owners shifted
        into the containers' range, as they are seen through the idmapped image."""
        self._images.copy_out(image, path, destination)
        if self._config.userns_remap is not None:
            shift_owners(destination, self._config.userns_remap)

    def release_layers(self, container_id: str) -> None:
        """The container is gone (or was never made): its hold on the image's layers goes, now or, when the
        disk refuses the index's write, once it takes it."""
        self._deferred.attempt(
            ("layers", container_id),
            lambda: self._images.release_layers(container_id),
            f"releasing the image layers of container {container_id}",
        )

    def image_lineage(self, reference: str) -> list[str]:
        """The id of the image `reference` names, then those of the stored images it was built or committed on,
        nearest first; [] when no image answers (moby's `ps --filter ancestor=` then matches nothing by it)."""
        try:
            image = self._images.resolve(reference)
        except (NotFound, InvalidParameter):
            return []
        return [image.id, *(ancestor.id for ancestor in self._images.ancestors(image))]

    def _volumes_from(self, entry: str) -> tuple[list[MountPoint], str]:
        ref, mode = parse_volumes_from(entry)
        try:
            other = self._store.get(ref)
        except NotFound as missing:  # Docker's 400: a 404 from create makes the docker CLI pull the image
            raise InvalidParameter(str(missing)) from None
        return [MountPoint(**m) for m in other.mounts], mode
