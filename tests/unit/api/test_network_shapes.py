"""Docker's network shapes: network objects, NetworkSettings and the Ports of `docker ps`."""

from dataclasses import replace

from runtime.api.shapes.networks import network_object, network_settings, ps_ports
from runtime.network.views import ContainerNetworking, NetworkView
from tests.support.networkrecords import NET, NETWORKS, RUNNING


def networking(record) -> ContainerNetworking:
    return ContainerNetworking(record, record, NETWORKS)


def test_network_settings_of_a_running_container():
    settings = network_settings(networking(RUNNING))
    assert settings["SandboxKey"] == RUNNING.netns_path
    assert settings["Ports"] == {"443/tcp": None, "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}
    # the deprecated top-level fields come from the default bridge only, as in Docker
    assert (settings["IPAddress"], settings["Gateway"], settings["IPPrefixLen"]) == ("10.200.0.5", "10.200.0.1", 16)
    front = settings["Networks"]["front"]
    assert front["IPAddress"] == "10.1.0.9" and front["IPPrefixLen"] == 24 and front["Gateway"] == "10.1.0.1"
    assert front["IPAMConfig"] == {"IPv4Address": "10.1.0.9"}
    assert front["Aliases"] == ["api"]
    assert front["DNSNames"] == ["web", "api", "cccccccccccc"]
    assert settings["Networks"]["bridge"]["DNSNames"] is None  # no embedded DNS on the default bridge


def test_network_settings_of_a_stopped_container_keep_its_networks_without_addresses():
    settings = network_settings(networking(RUNNING.stopped()))
    assert set(settings["Networks"]) == {"bridge", "front"}
    assert settings["Networks"]["front"]["IPAddress"] == "" and settings["Ports"] == {}
    assert settings["IPAddress"] == "" and settings["SandboxKey"] == ""


def test_ps_ports():
    assert ps_ports(networking(RUNNING)) == [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"PrivatePort": 443, "Type": "tcp"},
    ]
    assert ps_ports(networking(RUNNING.stopped())) == [
        {"PrivatePort": 443, "Type": "tcp"},
        {"PrivatePort": 80, "Type": "tcp"},
    ]


def test_network_object_shape():
    shape = network_object(NetworkView(NET))
    assert shape["IPAM"] == {
        "Driver": "default",
        "Options": {},
        "Config": [{"Subnet": "10.1.0.0/24", "Gateway": "10.1.0.1"}],
    }
    assert (shape["Scope"], shape["Driver"], shape["Containers"]) == ("local", "bridge", {})
    assert set(shape) >= {
        "Name",
        "Id",
        "Created",
        "EnableIPv6",
        "Internal",
        "Attachable",
        "Ingress",
        "ConfigFrom",
        "ConfigOnly",
        "Options",
        "Labels",
    }


def test_ipam_config_leaves_out_a_gateway_not_given_with_the_subnet():
    shape = network_object(NetworkView(replace(NET, gateway_given=False)))
    assert shape["IPAM"]["Config"] == [{"Subnet": "10.1.0.0/24"}]
