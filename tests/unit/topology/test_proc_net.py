"""Parsing a network namespace's /proc/net files: TCP tables (v4, v6, v4-mapped), fib_trie, if_inet6."""

import pytest

from web.topology.proc_net import (
    TcpSocket,
    parse_fib_trie,
    parse_if_inet6,
    parse_sockstat,
    parse_tcp_table,
    read_tcp,
)

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
TAIL = " 00000000:00000000 00:00000000 00000000     0        0 {inode} 1 0000000000000000 100 0 0 10 0"


def line(local: str, remote: str, state: str, inode: int) -> str:
    return f"   0: {local} {remote} {state}" + TAIL.format(inode=inode) + "\n"


@pytest.mark.parametrize(
    ("text", "ipv6", "expected"),
    [
        # 127.0.0.1:8080 listening
        (
            line("0100007F:1F90", "00000000:0000", "0A", 11),
            False,
            [TcpSocket("127.0.0.1", 8080, "0.0.0.0", 0, 0x0A, 11)],
        ),
        # 10.1.0.2:43210 -> 10.1.0.3:80 established
        (
            line("0200010A:A8CA", "0300010A:0050", "01", 12),
            False,
            [TcpSocket("10.1.0.2", 43210, "10.1.0.3", 80, 0x01, 12)],
        ),
        # TIME_WAIT: no inode any more, still a connection
        (line("0300010A:0050", "0200010A:A8CA", "06", 0), False, [TcpSocket("10.1.0.3", 80, "10.1.0.2", 43210, 6, 0)]),
        # SYN_SENT and CLOSE are left out
        (
            line("0200010A:A8CA", "0300010A:0050", "02", 13) + line("0200010A:A8CB", "0300010A:0050", "07", 14),
            False,
            [],
        ),
        # v6 ::1 listening on 80
        (
            line("00000000000000000000000001000000:0050", "00000000000000000000000000000000:0000", "0A", 15),
            True,
            [TcpSocket("::1", 80, "::", 0, 0x0A, 15)],
        ),
        # a v4 peer of a v6 socket (::ffff:10.1.0.2) is named as v4
        (
            line("0000000000000000FFFF00000300010A:0050", "0000000000000000FFFF00000200010A:A8CA", "01", 16),
            True,
            [TcpSocket("10.1.0.3", 80, "10.1.0.2", 43210, 1, 16)],
        ),
    ],
)
def test_tcp_tables(text, ipv6, expected):
    assert parse_tcp_table(HEADER + text, ipv6=ipv6) == expected


def test_a_short_line_is_an_error_naming_it():
    with pytest.raises(ValueError, match="invalid line '0: 0100007F:1F90'"):
        parse_tcp_table(HEADER + "   0: 0100007F:1F90\n", ipv6=False)


def test_read_tcp_names_the_file_it_could_not_parse(tmp_path):
    (tmp_path / "7" / "net").mkdir(parents=True)
    (tmp_path / "7" / "net" / "tcp").write_text(HEADER + "junk\n")
    sockets, errors = read_tcp(7, tmp_path)
    assert sockets == []
    assert [e.message for e in errors] == [
        f"exporter: cannot read {tmp_path}/7/net/tcp: invalid line 'junk': expected 'sl local remote st ... inode'"
    ]


FIB_TRIE = """Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 10.143.0.0/24 2 0 2
        |-- 10.143.0.0
           /24 link UNICAST
        |-- 10.143.0.1
           /32 host LOCAL
     +-- 127.0.0.0/8 2 0 2
        |-- 127.0.0.1
           /32 host LOCAL
Local:
  +-- 0.0.0.0/0 3 0 5
        |-- 10.143.0.1
           /32 host LOCAL
        |-- 10.143.0.255
           /32 link BROADCAST
"""


def test_fib_trie_gives_the_local_addresses_and_networks_without_loopback():
    found = parse_fib_trie(FIB_TRIE)
    assert found.addresses == ("10.143.0.1",)
    assert found.networks == ("10.143.0.0/24",)


def test_if_inet6_keeps_global_addresses_only():
    text = (
        "fd000000000000000000000000000002 02 40 00 80     eth0\n"
        "fe800000000000000000000000000001 02 40 20 80     eth0\n"
        "00000000000000000000000000000001 01 80 10 80       lo\n"
    )
    found = parse_if_inet6(text)
    assert found.addresses == ("fd00::2",)
    assert found.networks == ("fd00::/64",)


def test_sockstat_counters():
    text = "sockets: used 23\nTCP: inuse 3 orphan 0 tw 2 alloc 5 mem 1\nTCP6: inuse 1\n"
    found = parse_sockstat(text)
    assert found["TCP"] == {"inuse": 3, "orphan": 0, "tw": 2, "alloc": 5, "mem": 1}
    assert found["TCP6"] == {"inuse": 1}
