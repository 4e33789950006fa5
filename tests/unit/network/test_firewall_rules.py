from runtime.network.firewall_rules import (
    BridgePolicy,
    ChainNames,
    PublishedPort,
    base_jumps,
    render_dns_rules,
    render_host_rules,
)

CHAINS = ChainNames("PTX")


def lines(text):
    return text.splitlines()


def test_an_empty_state_declares_every_chain_so_restore_flushes_them():
    assert lines(render_host_rules(CHAINS, [], [])) == [
        "*nat",
        ":PTX-DNAT - [0:0]",
        ":PTX-POSTROUTING - [0:0]",
        "COMMIT",
        "*filter",
        ":PTX-FORWARD - [0:0]",
        ":PTX-ISOLATION-1 - [0:0]",
        ":PTX-ISOLATION-2 - [0:0]",
        "-A PTX-FORWARD -j PTX-ISOLATION-1",
        "-A PTX-ISOLATION-1 -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j RETURN",
        "COMMIT",
    ]


def test_a_network_gets_masquerade_forwarding_and_isolation():
    rules = lines(render_host_rules(CHAINS, [BridgePolicy("br0", "10.1.0.0/24", False, True, True)], []))
    for rule in [
        "-A PTX-POSTROUTING -s 10.1.0.0/24 ! -o br0 -j MASQUERADE",
        "-A PTX-POSTROUTING -o br0 -m addrtype --src-type LOCAL -j MASQUERADE",
        "-A PTX-FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-A PTX-FORWARD -o br0 -m conntrack --ctstate DNAT -j ACCEPT",
        "-A PTX-FORWARD -i br0 -o br0 -j ACCEPT",
        "-A PTX-FORWARD -i br0 ! -o br0 -j ACCEPT",
        "-A PTX-ISOLATION-1 -i br0 ! -o br0 -j PTX-ISOLATION-2",
        "-A PTX-ISOLATION-2 -o br0 -j DROP",
    ]:
        assert rule in rules


def test_internal_networks_have_no_way_out_and_no_masquerade():
    rules = lines(render_host_rules(CHAINS, [BridgePolicy("br1", "10.2.0.0/24", True, True, True)], []))
    assert "-A PTX-ISOLATION-1 -i br1 ! -o br1 -j DROP" in rules
    assert "-A PTX-ISOLATION-1 ! -i br1 -o br1 -j DROP" in rules
    # internal drops come before the RETURN of established/DNAT flows
    assert rules.index("-A PTX-ISOLATION-1 -i br1 ! -o br1 -j DROP") < rules.index(
        "-A PTX-ISOLATION-1 -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j RETURN"
    )
    assert not any("MASQUERADE" in r and "-s 10.2.0.0/24" in r for r in rules)
    assert "-A PTX-FORWARD -i br1 ! -o br1 -j ACCEPT" not in rules


def test_icc_off_drops_traffic_inside_the_bridge():
    rules = lines(render_host_rules(CHAINS, [BridgePolicy("br2", "10.3.0.0/24", False, False, True)], []))
    assert "-A PTX-FORWARD -i br2 -o br2 -j DROP" in rules


def test_published_ports_become_dnat_and_hairpin_rules():
    ports = [
        PublishedPort("tcp", "0.0.0.0", 8080, "10.1.0.2", 80),
        PublishedPort("udp", "127.0.0.1", 5353, "10.1.0.3", 53),
    ]
    rules = lines(render_host_rules(CHAINS, [], ports))
    assert "-A PTX-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.2:80" in rules
    assert "-A PTX-DNAT -d 127.0.0.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.1.0.3:53" in rules
    assert "-A PTX-POSTROUTING -s 10.1.0.2/32 -d 10.1.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE" in rules


def test_one_hairpin_rule_per_container_port_however_many_host_ports_lead_to_it():
    ports = [
        PublishedPort("tcp", "0.0.0.0", 8080, "10.1.0.2", 80),
        PublishedPort("tcp", "127.0.0.1", 8081, "10.1.0.2", 80),
        PublishedPort("tcp", "0.0.0.0", 8082, "10.1.0.2", 80),
    ]
    rules = lines(render_host_rules(CHAINS, [], ports))
    assert len([r for r in rules if "DNAT --to-destination 10.1.0.2:80" in r]) == 3
    assert [r for r in rules if "-s 10.1.0.2/32 -d 10.1.0.2/32" in r] == [
        "-A PTX-POSTROUTING -s 10.1.0.2/32 -d 10.1.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE"
    ]


def test_base_jumps_enter_our_chains_from_the_builtin_ones():
    assert [(j.table, j.chain, " ".join(j.args), j.insert) for j in base_jumps(CHAINS)] == [
        ("nat", "PREROUTING", "-m addrtype --dst-type LOCAL -j PTX-DNAT", False),
        ("nat", "OUTPUT", "-m addrtype --dst-type LOCAL -j PTX-DNAT", False),
        ("nat", "POSTROUTING", "-j PTX-POSTROUTING", True),
        ("filter", "FORWARD", "-j PTX-FORWARD", True),
    ]


def test_dns_rules_redirect_port_53_of_127_0_0_11_to_the_daemon_sockets():
    rules = lines(render_dns_rules(CHAINS, 40001, 40002))
    assert rules[0] == "*nat" and rules[-1] == "COMMIT"
    assert "-A OUTPUT -d 127.0.0.11/32 -j PTX-DNS-OUTPUT" in rules
    assert (
        "-A PTX-DNS-OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.11:40001" in rules
    )
    assert (
        "-A PTX-DNS-OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:40002" in rules
    )
    assert "-A PTX-DNS-POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport 40001 -j SNAT --to-source :53" in rules
