import os

from runtime.volumes.layout import disk_usage


def test_disk_usage_counts_files_and_hard_links_once(tmp_path):
    # what `volume prune` reclaims and `ps -s` shows as SizeRw: file bytes, directories not counted
    (tmp_path / "d").mkdir()
    (tmp_path / "a").write_text("12345")
    (tmp_path / "d" / "b").write_text("123")
    os.link(tmp_path / "a", tmp_path / "d" / "a2")
    assert disk_usage(tmp_path) == 8
