"""`porthole daemon` flags that take more than a word: --default-address-pool, and errors without tracebacks."""

import argparse
import re
import subprocess
import sys

import pytest

from porthole.serve.daemon import add_arguments, config_from_args, parse_address_pool


def test_address_pool_is_a_cidr_of_24s_or_dockerds_base_and_size():
    assert parse_address_pool("10.9.0.0/16") == ("10.9.0.0/16", 24)
    assert parse_address_pool("base=10.9.0.0/16,size=28") == ("10.9.0.0/16", 28)
    assert parse_address_pool("base=10.9.0.0/16") == ("10.9.0.0/16", 24)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("base=10.9.0.0/16,sise=24", "unknown field 'sise'"),
        ("size=24", "no base"),
        ("base=10.9.0.0/16,size=x", "size 'x' is not a prefix length"),
    ],
)
def test_a_malformed_address_pool_names_the_problem(text, why):
    with pytest.raises(argparse.ArgumentTypeError, match=why):
        parse_address_pool(text)


def test_the_pool_reaches_the_config():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = config_from_args(parser.parse_args(["--default-address-pool", "base=10.9.0.0/16,size=26"]))
    assert (config.address_pool, config.address_pool_size) == ("10.9.0.0/16", 26)


def test_a_bad_value_found_at_start_is_one_line_not_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "porthole.cli.main", "daemon", "--data-root", str(tmp_path / "data"),
         "--exec-root", str(tmp_path / "exec"), "-H", f"unix://{tmp_path}/sock",
         "--default-address-pool", "base=10.9.0.0/16,size=40"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "porthole daemon: network: address pool 10.9.0.0/16/40: size must be between /16 and /30"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a:b:c", 'Invalid user/group specification in --userns-remap: "a:b:c"'),
        ("nosuchuser-ph", 'Error during uid lookup for "nosuchuser-ph": user: unknown user nosuchuser-ph'),
    ],
)
def test_a_bad_userns_remap_stops_the_daemon_with_dockerds_message(value, message):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(SystemExit, match=re.escape(f"porthole daemon: --userns-remap: {message}")):
        config_from_args(parser.parse_args(["--userns-remap", value]))


def test_no_userns_remap_and_root_leave_the_data_root_alone(tmp_path):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    for flags in ([], ["--userns-remap", "root"]):
        config = config_from_args(parser.parse_args(["--data-root", str(tmp_path), *flags]))
        assert (config.data_root, config.userns_remap) == (tmp_path, None)


def test_registry_mirrors_reach_the_config_in_order_as_docker_shows_them():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--registry-mirror", "http://127.0.0.1:5001", "--registry-mirror", "https://m.example/"])
    assert config_from_args(args).registry_mirrors == ("http://127.0.0.1:5001/", "https://m.example/")


def test_a_bad_registry_mirror_is_refused_with_dockers_message(capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--registry-mirror", "ftp://m.example"])
    assert 'invalid mirror: unsupported scheme "ftp" in "ftp://m.example"' in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "upstreams"),
    [([], None), (["--dns-upstream", "none"], ()), (["--dns-upstream", "192.0.2.1"], ("192.0.2.1",))],
)
def test_dns_upstream_defaults_to_the_hosts_resolvers_and_none_turns_forwarding_off(flags, upstreams):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert config_from_args(parser.parse_args(flags)).dns_upstreams == upstreams
