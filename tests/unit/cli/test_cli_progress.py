"""Upload progress: the bar, the counting body, and which mode draws what."""

import io
import os

import pytest

from porthole.cli.progress import ProgressLine, progress_bar, remaining_size, upload_body


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("done", "total", "text"),
    [
        (0, 2_000_000, "Importing [>" + " " * 50 + "]  0B/2MB  0%"),
        (500_000, 2_000_000, "Importing [" + "=" * 12 + ">" + " " * 38 + "]  500kB/2MB  25%"),
        (2_000_000, 2_000_000, "Importing [" + "=" * 50 + ">]  2MB/2MB  100%"),
        (1_234_567, None, "Importing  1.23MB"),
    ],
)
def test_progress_bar(done, total, text):
    assert progress_bar("Importing", done, total) == text


def test_plain_mode_writes_lines_and_always_the_last():
    out = io.StringIO()
    line = ProgressLine("Loading", 100, "plain", out)
    line.update(10)  # drawn: the first update
    line.update(20)  # within the interval: not drawn
    line.finish(100)
    lines = out.getvalue().splitlines()
    assert [text.split("]")[-1].strip() for text in lines] == ["10B/100B  10%", "100B/100B  100%"]


def test_tty_mode_redraws_in_place():
    out = Terminal()
    line = ProgressLine("Loading", None, "auto", out)
    line.update(5)
    line.finish(10)
    assert out.getvalue() == "\rLoading  5B\x1b[K\rLoading  10B\x1b[K\n"


@pytest.mark.parametrize("mode", ["auto", "none"])
def test_nothing_is_drawn_off_a_terminal_unless_asked(mode):
    out = io.StringIO()
    line = ProgressLine("Loading", 10, mode, out)
    line.update(5)
    line.finish(10)
    assert out.getvalue() == ""


def test_upload_body_counts_what_is_read_and_knows_a_files_size(tmp_path):
    path = tmp_path / "image.tar"
    path.write_bytes(b"x" * 40_000)
    with open(path, "rb") as source:
        source.read(1000)
        body = upload_body(source, "Loading", "none")
        assert len(body) == 39_000  # requests sends a Content-Length
        while body.read(16384):
            pass
        assert body.done == 39_000


def test_a_pipe_has_no_size_and_is_sent_chunked():
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as source, os.fdopen(write_end, "wb") as sink:
        sink.write(b"abc")
        sink.close()
        assert remaining_size(source) is None
        body = upload_body(source, "Importing", "none")
        assert not hasattr(body, "__len__")
        assert body.read(10) == b"abc" and body.done == 3
