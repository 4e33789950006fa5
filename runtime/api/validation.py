"""Type checks for request bodies, so a mistyped field gets a 400 naming it, never a traceback deeper in.

Go's decoder is the model: null is the zero value, a string is accepted where a StrSlice is expected."""

from collections.abc import Callable, Mapping
from typing import Any

from runtime.errors import InvalidParameter

Check = Callable[[Any], bool]


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _list_of(kind: type) -> Check:
    return lambda v: isinstance(v, list) and all(isinstance(i, kind) for i in v)


def _map_of(kind: type) -> Check:
    return lambda v: isinstance(v, dict) and all(isinstance(i, kind) for i in v.values())


_TYPE_NAMES = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_int,
    "object": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
    "list of strings": _list_of(str),
    "list of integers": lambda v: isinstance(v, list) and all(_is_int(i) for i in v),
    "object of strings": _map_of(str),
    "string or list of strings": lambda v: isinstance(v, str) or _list_of(str)(v),
}

CONFIG = {
    "Hostname": "string",
    "Domainname": "string",
    "User": "string",
    "AttachStdin": "boolean",
    "AttachStdout": "boolean",
    "AttachStderr": "boolean",
    "Tty": "boolean",
    "OpenStdin": "boolean",
    "StdinOnce": "boolean",
    "Env": "list of strings",
    "Cmd": "string or list of strings",
    "Entrypoint": "string or list of strings",
    "Image": "string",
    "Labels": "object of strings",
    "WorkingDir": "string",
    "ExposedPorts": "object",
    "Volumes": "object",
    "StopSignal": "string",
    "StopTimeout": "integer",
    "MacAddress": "string",
    "HostConfig": "object",
    "NetworkingConfig": "object",
}
HOST_CONFIG = {
    "Binds": "list of strings",
    "PortBindings": "object",
    "RestartPolicy": "object",
    "AutoRemove": "boolean",
    "NetworkMode": "string",
    "VolumesFrom": "list of strings",
    "LogConfig": "object",
    "Mounts": "list",
    "Privileged": "boolean",
    "PublishAllPorts": "boolean",
    "ReadonlyRootfs": "boolean",
    "CapAdd": "list of strings",
    "CapDrop": "list of strings",
    "Dns": "list of strings",
    "ExtraHosts": "list of strings",
    "Init": "boolean",
    "ConsoleSize": "list of integers",
    "Runtime": "string",
    "VolumeDriver": "string",
    "StorageOpt": "object of strings",
    "Links": "list of strings",
}
LOG_CONFIG = {"Type": "string", "Config": "object of strings"}
RESTART_POLICY = {"Name": "string", "MaximumRetryCount": "integer"}


def check_fields(body: Mapping[str, Any], schema: Mapping[str, str], where: str) -> None:
    for field, type_name in schema.items():
        value = body.get(field)
        if value is not None and not _TYPE_NAMES[type_name](value):
            raise InvalidParameter(
                f"invalid JSON: {where}{field}: expected {'an' if type_name[0] in 'aeiou' else 'a'} {type_name}, "
                f"got {type(value).__name__} {value!r:.60}"
            )


def container_create_body(body: dict[str, Any]) -> dict[str, Any]:
    """Checks the types of the create body and turns StrSlice strings into lists, as Go's decoder does."""
    check_fields(body, CONFIG, "")
    host_config = body.get("HostConfig") or {}
    check_fields(host_config, HOST_CONFIG, "HostConfig.")
    check_fields(host_config.get("LogConfig") or {}, LOG_CONFIG, "HostConfig.LogConfig.")
    check_fields(host_config.get("RestartPolicy") or {}, RESTART_POLICY, "HostConfig.RestartPolicy.")
    for field in ("Cmd", "Entrypoint"):
        if isinstance(body.get(field), str):
            body[field] = [body[field]]
    for item in body.get("Env") or []:
        if not item.partition("=")[0]:  # moby's verifyContainerSettings (opts.ValidateEnv): a name is required
            raise InvalidParameter(f"invalid environment variable: {item}")
    return body
