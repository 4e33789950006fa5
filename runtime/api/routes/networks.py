"""/networks: create, list, inspect, remove, prune, connect, disconnect."""

from runtime.api import params
from runtime.api.http import Empty, Json, Request, Response
from runtime.api.router import Router
from runtime.api.shapes.networks import network_object
from runtime.api.validation import check_fields
from runtime.engine.daemon import Engine
from runtime.errors import InvalidParameter, NotFound
from runtime.network import NetworkView

REF = r"(?P<ref>[^/]+)"
CONNECT = {"Container": "string", "EndpointConfig": "object", "Force": "boolean"}


def register(router: Router, engine: Engine) -> None:
    networks, containers = engine.networks, engine.containers

    def create(req: Request) -> Response:
        network = networks.create_network(req.json_object(required=True))
        return Json({"Id": network.id, "Warning": ""}, 201)

    def list_(req: Request) -> Response:
        return Json([network_object(NetworkView(n)) for n in networks.list_networks(params.filters(req))])

    def inspect(req: Request, ref: str) -> Response:
        return Json(network_object(networks.inspect_network(ref)))

    def remove(req: Request, ref: str) -> Response:
        networks.remove_network(ref)
        return Empty()

    def prune(req: Request) -> Response:
        return Json({"NetworksDeleted": networks.prune_networks(params.filters(req))})

    def _container_of(body: dict) -> str:
        check_fields(body, CONNECT, "")
        if not body.get("Container"):
            raise InvalidParameter("Container: a container name or id is required")
        return containers.get(body["Container"]).id

    def connect(req: Request, ref: str) -> Response:
        body = req.json_object(required=True)
        networks.connect(ref, _container_of(body), body.get("EndpointConfig"))
        return Empty(200)

    def disconnect(req: Request, ref: str) -> Response:
        body = req.json_object(required=True)
        force = bool(body.get("Force"))
        try:
            container_id = _container_of(body)
        except NotFound:
            if not force:
                raise
            # moby (ForceEndpointDelete) then looks for a stale endpoint by that name, on a network that must
            # exist; ours go with their container, so there is none to find.
            networks.inspect_network(ref)
            raise NotFound(f"endpoint {body['Container']} not found") from None
        networks.disconnect(ref, container_id, force=force)
        return Empty(200)

    router.add("POST", "/networks/create", create)
    router.add("GET", "/networks", list_)
    router.add("POST", "/networks/prune", prune)
    router.add("GET", f"/networks/{REF}", inspect)
    router.add("DELETE", f"/networks/{REF}", remove)
    router.add("POST", f"/networks/{REF}/connect", connect)
    router.add("POST", f"/networks/{REF}/disconnect", disconnect)
