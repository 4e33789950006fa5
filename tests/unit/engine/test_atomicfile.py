"""runtime/atomicfile.py: a state file is replaced whole or not at all, even when the disk fills mid-write."""

import errno
import resource

import pytest

from runtime.atomicfile import read_json, write_bytes_atomic, write_json_atomic


def test_writes_and_reads_back_private_to_root(tmp_path):
    path = tmp_path / "state.json"
    write_json_atomic(path, {"status": "running"})
    assert read_json(path) == {"status": "running"}
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_write_cut_short_leaves_the_old_file_and_no_temporary(tmp_path):
    # RLIMIT_FSIZE makes the kernel do what a filling disk does: write what fits, then fail (EFBIG; Python
    # ignores SIGXFSZ). Before the fix a short os.write went unnoticed and a truncated file was renamed in.
    path = tmp_path / "state.json"
    write_bytes_atomic(path, b'{"old": true}')
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))
    try:
        with pytest.raises(OSError) as failed:
            write_bytes_atomic(path, b"x" * 4096)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert failed.value.errno == errno.EFBIG
    assert failed.value.filename == str(path)  # os.write names no file: the error says which one
    assert path.read_bytes() == b'{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
