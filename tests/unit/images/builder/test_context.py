"""The build context kept as one spooled tar and an index: members found, read back from the spool, hashed as
they arrived; the layer extractor's refusals (.., writes through a symlink); later members win."""

import io

import pytest

from runtime.errors import InvalidParameter
from runtime.images.builder.context import receive_context
from runtime.images.builder.sources import checksum, find_sources
from tests.support.imagetars import directory, file, hardlink, symlink, tar_bytes


def received(tmp_path, entries):
    return receive_context(io.BytesIO(tar_bytes(entries)), tmp_path)


def test_members_are_indexed_and_read_back_from_the_spool(tmp_path):
    big = bytes(range(256)) * 4096
    context = received(
        tmp_path,
        [
            file("Dockerfile", b"FROM scratch\n"),
            directory("src"),
            file("src/big.bin", big),
            hardlink("src/again", "src/big.bin"),
        ],
    )
    try:
        assert context.take_dockerfile("Dockerfile") == "FROM scratch\n"
        tree = context.tree
        assert tree.children("") == ["Dockerfile", "src"] and tree.children("src") == ["again", "big.bin"]
        with tree.open("src/again") as content:
            assert content.read() == big
        assert tree.entry_sum("src/big.bin") != tree.entry_sum("src/again")  # the link's own header, no bytes
        assert len(list(tmp_path.iterdir())) == 1  # one spool file, no unpacked tree
    finally:
        context.remove()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("ignored", "left", "left_in_sub"),
    [
        ("sub/Dockerfile\n.dockerignore\n", ["kept", "sub"], []),
        ("sub\n", [".dockerignore", "kept", "sub"], []),  # a listed parent: the Dockerfile goes, as moby's Matches
        ("other\n", [".dockerignore", "kept", "sub"], ["Dockerfile"]),
    ],
)
def test_the_dockerfile_and_dockerignore_leave_the_context_when_the_dockerignore_lists_them(
    tmp_path, ignored, left, left_in_sub
):
    context = received(
        tmp_path,
        [file(".dockerignore", ignored.encode()), file("kept"), directory("sub"), file("sub/Dockerfile", b"FROM x\n")],
    )
    try:
        assert context.take_dockerfile("sub/Dockerfile") == "FROM x\n"
        assert context.tree.children("") == left
        assert context.tree.children("sub") == left_in_sub
    finally:
        context.remove()


def test_checksums_do_not_depend_on_mtimes(tmp_path):
    first = received(tmp_path, [file("Dockerfile"), file("a.txt", b"same", mtime=1), directory("d"), file("d/x", b"x")])
    second = received(
        tmp_path, [file("Dockerfile"), file("a.txt", b"same", mtime=2), directory("d"), file("d/x", b"x")]
    )
    try:
        for pattern in (["a.txt"], ["d"], ["a.txt", "d"]):
            assert checksum(find_sources(first.tree, pattern, None), None) == checksum(
                find_sources(second.tree, pattern, None), None
            )
    finally:
        first.remove()
        second.remove()


@pytest.mark.parametrize(
    ("entries", "why"),
    [
        ([file("../escape", b"x")], "climbs out of the layer with '..'"),
        ([symlink("link", "/etc"), file("link/passwd", b"x")], "is a symlink"),
        ([file("f", b"x"), file("f/below", b"x")], "is not a directory"),
    ],
)
def test_refusals_leave_no_spool(tmp_path, entries, why):
    with pytest.raises(InvalidParameter, match=why):
        received(tmp_path, entries)
    assert list(tmp_path.iterdir()) == []


def test_a_later_file_replaces_a_directory_and_its_children(tmp_path):
    context = received(tmp_path, [directory("d"), file("d/x", b"x"), file("d", b"now a file")])
    try:
        assert context.tree.entry("d/x") is None and context.tree.entry("d").is_regular
        assert context.tree.children("") == ["d"]
    finally:
        context.remove()
