"""`python -m porthole.serve.exporter` / `porthole exporter`: its options and the errors a user sees."""

import argparse

import pytest

from porthole.serve import exporter as exporter_main


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("-H", "--host")
    exporter_main.add_arguments(p)
    return p


def test_defaults():
    args = parser().parse_args([])
    assert (args.listen, args.fs_interval, args.discovery_interval) == ("127.0.0.1:9338", 60.0, 5.0)


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_intervals_must_be_positive(value, capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["--fs-interval", value])
    assert f"invalid value {value!r}: expected a number of seconds above 0" in capsys.readouterr().err


def test_a_bad_listen_address_exits_2_with_a_message(capsys):
    args = parser().parse_args(["-H", "unix:///nonexistent.sock", "--listen", "nowhere"])
    assert exporter_main.run(args) == 2
    assert capsys.readouterr().err == (
        "exporter: invalid --listen 'nowhere': expected HOST:PORT, e.g. 127.0.0.1:9338\n"
    )


def test_a_bad_engine_url_exits_2_with_a_message(capsys):
    args = parser().parse_args(["-H", "ftp://example", "--listen", "127.0.0.1:0"])
    assert exporter_main.run(args) == 2
    assert capsys.readouterr().err.startswith("exporter: invalid -H 'ftp://example': ")
