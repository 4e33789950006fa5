from runtime.network.cluster.keys import AddressClaim, ClusterEndpoint, ClusterHost, endpoint_key, ipam_key


def test_records_survive_their_json():
    endpoint = ClusterEndpoint(
        "n1", "e1", "h1", "198.18.0.1", "c1", "web", ("web", "c1"), "10.0.0.2", "02:42:0a:00:00:02"
    )
    assert ClusterEndpoint.from_json(endpoint.to_json()) == endpoint
    host = ClusterHost("h1", "a", "198.18.0.1", "eth0:7946", "198.18.0.1:9323")
    assert ClusterHost.from_json(host.to_json()) == host
    assert AddressClaim.from_json(AddressClaim("h1", "c1").to_json()) == AddressClaim("h1", "c1")


def test_keys_nest_under_their_network():
    assert ipam_key("n1", "10.0.0.2") == "/porthole/v1/ipam/n1/10.0.0.2"
    assert endpoint_key("n1", "e1") == "/porthole/v1/endpoints/n1/e1"
