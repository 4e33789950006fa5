"""Legacy links (`--link name:alias`) on the default bridge, as moby's daemon/links: checked at create and kept
in HostConfig.Links as "/child:/parent/alias"; at start the child must run, and the parent gets a hosts entry
for the alias and the child's hostname and Docker's environment variables (ALIAS_PORT_80_TCP_ADDR and the
rest). On a user-defined network a link is an endpoint's Links entry instead (runtime.network)."""

from collections.abc import Callable
from dataclasses import dataclass

from runtime.engine.model import RUNNING, Container
from runtime.engine.store import ContainerStore
from runtime.errors import InvalidParameter, NotFound


@dataclass(frozen=True)
class Link:
    child: str  # the linked container's name, without its slash
    alias: str

    def stored(self, parent: str) -> str:
        return f"/{self.child}:/{parent}/{self.alias}"


def parse_link(text: str) -> Link:
    """ "name:alias", "name" (the alias is the name), or a stored "/child:/parent/alias"."""
    name, _, alias = text.partition(":")
    name = name.lstrip("/")
    alias = alias.rpartition("/")[2] if alias else name
    if not name or not alias:
        raise InvalidParameter(f"invalid link format: {text}")
    return Link(name, alias)


def register_links(container: Container, store: ContainerStore) -> None:
    """At create, on the default bridge: every child exists (400 with moby's text) and the links are stored
    in moby's form; on other networks they stay as given (the endpoint's business)."""
    links = container.host_config.get("Links") or []
    if not links or container.host_config.get("NetworkMode") != "bridge":
        return
    stored = []
    for text in links:
        link = parse_link(text)
        try:
            child = store.get(link.child)
        except NotFound as e:
            raise InvalidParameter(f"could not get container for {link.child}: {e.message}") from None
        if child.id == container.id:
            raise InvalidParameter("cannot link a container to itself")
        stored.append(Link(child.name, link.alias).stored(container.name))
    container.host_config["Links"] = stored


def running_children(container: Container, store: ContainerStore) -> list[tuple[Link, Container]]:
    """At start: each link and its child, which must be running (moby's 400 otherwise)."""
    if container.host_config.get("NetworkMode") != "bridge":
        return []
    found = []
    for text in container.host_config.get("Links") or []:
        link = parse_link(text)
        try:
            child = store.get(link.child)
        except NotFound:
            child = None
        if child is None or child.state.status != RUNNING:
            raise InvalidParameter(
                f"Cannot link to a non running container: /{link.child} AS /{container.name}/{link.alias}"
            )
        found.append((link, child))
    return found


def link_hosts(children: list[tuple[Link, Container]], address_of: Callable[[Container], str]) -> list[str]:
    """ExtraHosts entries ("names:ip"), one per link as moby's hosts line is: the alias, the child's hostname, and
    its name unless the alias is the name (moby's buildSandboxOptions; the names space-separated)."""
    entries = []
    for link, child in children:
        names = [link.alias, child.config.get("Hostname") or child.short_id]
        if link.alias != child.name:
            names.append(child.name)
        entries.append(f"{' '.join(names)}:{address_of(child)}")
    return entries


def link_environment(
    parent: str, children: list[tuple[Link, Container]], address_of: Callable[[Container], str]
) -> list[str]:
    """moby's links.Link.ToEnv for each child: ALIAS_NAME, ALIAS_PORT and per exposed port
    ALIAS_PORT_<port>_<PROTO>[_ADDR|_PORT|_PROTO], and ALIAS_ENV_<VAR> of the child's own variables."""
    env = []
    for link, child in children:
        alias = link.alias.upper().replace("-", "_")
        address = address_of(child)
        env.append(f"{alias}_NAME=/{parent}/{link.alias}")
        ports = sorted(_ports(child))
        if ports:
            port, proto = ports[0]
            env.append(f"{alias}_PORT={proto}://{address}:{port}")
        for port, proto in ports:
            prefix = f"{alias}_PORT_{port}_{proto.upper()}"
            env += [
                f"{prefix}={proto}://{address}:{port}",
                f"{prefix}_ADDR={address}",
                f"{prefix}_PORT={port}",
                f"{prefix}_PROTO={proto}",
            ]
        for item in child.config.get("Env") or []:
            name, sep, value = item.partition("=")
            if sep and name not in ("HOME", "PATH"):  # moby leaves out what a build adds
                env.append(f"{alias}_ENV_{name}={value}")
    return env


def _ports(child: Container) -> list[tuple[int, str]]:
    ports = []
    for key in child.config.get("ExposedPorts") or {}:
        port, _, proto = key.partition("/")
        ports.append((int(port), proto or "tcp"))
    return ports


def remove_link(parent: Container, alias: str, store: ContainerStore) -> None:
    """`docker rm --link /parent/alias`: the link goes from the parent's config (effective at its next start)."""
    links = parent.host_config.get("Links") or []
    kept = [text for text in links if parse_link(text).alias != alias]
    if len(kept) == len(links):
        raise NotFound(f"Could not find container for entity id /{parent.name}/{alias}")
    parent.host_config["Links"] = kept or None
    store.save_config(parent)
