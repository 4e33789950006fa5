"""--userns-remap: dockerd's parsing and messages, the subordinate ranges read as the mapping, and the free range
a new `dockremap` gets (nothing here touches /etc: the ranges live in files under tmp_path)."""

import pytest

from runtime.security.userns import IdMapping, IdRange, RemapError, first_free_range, load_mapping, resolve_remap


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a:b:c", 'Invalid user/group specification in --userns-remap: "a:b:c"'),
        ("nosuchuser-ph", 'Error during uid lookup for "nosuchuser-ph": user: unknown user nosuchuser-ph'),
        ("4000123", "Uid 4000123 has no entry in /etc/passwd: user: unknown userid 4000123"),
        (
            "nobody:nosuchgroup-ph",
            'Error during groupname lookup for "nosuchgroup-ph": group: unknown group nosuchgroup-ph',
        ),
        ("nobody:4000123", "Gid 4000123 has no entry in /etc/group: group: unknown groupid 4000123"),
    ],
)
def test_bad_values_are_refused_with_dockerds_messages(tmp_path, value, message):
    with pytest.raises(RemapError) as refused:
        resolve_remap(value, subuid=tmp_path / "subuid", subgid=tmp_path / "subgid")
    assert refused.value.message == message


def test_a_user_without_ranges_is_refused(tmp_path):
    (tmp_path / "subuid").write_text("someoneelse:100000:65536\n")
    with pytest.raises(RemapError, match='No subuid ranges found for user "nobody"'):
        load_mapping("nobody", "nogroup", tmp_path / "subuid", tmp_path / "subgid")


def test_root_is_no_remapping():
    assert resolve_remap("root") is None
    assert resolve_remap("0:0") is None
    assert resolve_remap("") is None


def test_the_ranges_of_the_user_and_group_make_the_mapping_counted_from_zero(tmp_path):
    (tmp_path / "subuid").write_text("other:1:5\nnobody:300000:1000\n65534:200000:10\n")
    (tmp_path / "subgid").write_text("nogroup:400000:65536\n")
    mapping = resolve_remap("nobody:nogroup", subuid=tmp_path / "subuid", subgid=tmp_path / "subgid")
    assert mapping == IdMapping(
        "nobody",
        "nogroup",
        (IdRange(0, 200000, 10), IdRange(10, 300000, 1000)),
        (IdRange(0, 400000, 65536),),
    )
    assert mapping.root == (200000, 400000)
    assert mapping.host_ids(12, 5) == (300002, 400005)
    assert mapping.as_spec() == {"uid_map": [[0, 200000, 10], [10, 300000, 1000]], "gid_map": [[0, 400000, 65536]]}
    with pytest.raises(RemapError):
        mapping.host_ids(1010, 0)


@pytest.mark.parametrize(
    ("taken", "start"),
    [
        ([], 100000),
        ([(100000, 65536)], 165536),
        ([(1000, 10), (165536, 65536)], 100000),
        ([(100000, 10), (165000, 100)], 165100),
        ([(120000, 65536), (100000, 65536)], 185536),
    ],
)
def test_a_new_remap_user_gets_the_first_free_range(taken, start):
    assert first_free_range(taken) == start


def test_host_ids_map_back_to_the_containers_and_others_are_nobody():
    mapping = IdMapping("u", "g", (IdRange(0, 200000, 10), IdRange(10, 300000, 1000)), (IdRange(0, 400000, 65536),))
    assert mapping.container_ids(300002, 400005) == (12, 5)
    assert mapping.container_ids(0, 0) == (65534, 65534)
