"""/proc/<pid>/stat lines, whatever the command's name holds."""

import pytest

from web.topology.proc_processes import PAGE_SIZE, parse_stat, socket_fds

REST = "S 1 42 42 0 -1 4194560 100 0 0 0 {utime} {stime} 0 0 20 0 {threads} 0 {start} 4000000 {rss} 0"


@pytest.mark.parametrize(
    ("name", "utime", "stime", "threads", "start", "rss"),
    [
        ("httpd", 5, 7, 1, 1000, 10),
        ("my prog", 0, 0, 3, 5, 0),  # spaces
        ("a) (b", 1, 1, 1, 1, 1),  # parentheses: the name ends at the last ")"
    ],
)
def test_parse_stat(name, utime, stime, threads, start, rss):
    text = f"123 ({name}) " + REST.format(utime=utime, stime=stime, threads=threads, start=start, rss=rss) + "\n"
    stat = parse_stat(text)
    assert (stat.pid, stat.ppid, stat.name) == (123, 1, name)
    assert stat.cpu_ticks == utime + stime
    assert (stat.threads, stat.start_ticks, stat.rss_bytes) == (threads, start, rss * PAGE_SIZE)


@pytest.mark.parametrize("text", ["", "123 (x) S 1", "garbage"])
def test_a_line_that_is_not_a_stat_line(text):
    with pytest.raises(ValueError, match="invalid stat line"):
        parse_stat(text)


def test_socket_fds_are_the_fds_that_name_sockets(tmp_path):
    fd = tmp_path / "9" / "fd"
    fd.mkdir(parents=True)
    (fd / "0").symlink_to("/dev/null")
    (fd / "3").symlink_to("socket:[4242]")
    (fd / "4").symlink_to("pipe:[77]")
    (fd / "5").symlink_to("socket:[4343]")
    assert sorted(socket_fds(9, tmp_path)) == [(3, 4242), (5, 4343)]
    assert socket_fds(10, tmp_path) == []  # gone
