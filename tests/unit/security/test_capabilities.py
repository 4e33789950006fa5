"""--privileged, --cap-add and --cap-drop as moby's TweakCapabilities reads them, bounded by what the daemon holds."""

import pytest

from runtime.errors import InvalidParameter
from runtime.security.capabilities import CAPABILITIES, DEFAULT_SET, container_capabilities, mask_of, own_capabilities

EVERYTHING = (1 << 41) - 1
NO_SYS_RESOURCE = EVERYTHING & ~(1 << CAPABILITIES["CAP_SYS_RESOURCE"])  # root's bounding set on these machines


def test_dockers_default_set():
    assert DEFAULT_SET == 0xA80425FB
    assert container_capabilities([], [], False, EVERYTHING) == 0xA80425FB


def test_privileged_gets_what_the_daemon_holds_not_what_it_lacks():
    assert container_capabilities([], [], True, NO_SYS_RESOURCE) == NO_SYS_RESOURCE


@pytest.mark.parametrize("spelling", ["NET_ADMIN", "net_admin", "CAP_NET_ADMIN", "cap_net_admin"])
def test_names_with_or_without_cap_in_any_case(spelling):
    assert container_capabilities([spelling], [], False, EVERYTHING) == DEFAULT_SET | mask_of(["CAP_NET_ADMIN"])


def test_drop_then_add():
    caps = container_capabilities(["SYS_ADMIN"], ["CHOWN", "NET_RAW"], False, EVERYTHING)
    assert caps == (DEFAULT_SET & ~mask_of(["CAP_CHOWN", "CAP_NET_RAW"])) | mask_of(["CAP_SYS_ADMIN"])


def test_drop_all_keeps_only_what_is_added():
    assert container_capabilities(["CHOWN"], ["ALL"], False, EVERYTHING) == mask_of(["CAP_CHOWN"])


def test_add_all_is_every_held_capability_but_the_dropped():
    caps = container_capabilities(["all"], ["MKNOD"], False, NO_SYS_RESOURCE)
    assert caps == NO_SYS_RESOURCE & ~mask_of(["CAP_MKNOD"])


def test_an_unknown_name_is_refused_as_docker_refuses_it():
    with pytest.raises(InvalidParameter, match='^unknown capability: "CAP_FOO"$'):
        container_capabilities(["foo"], [], False, EVERYTHING)


def test_adding_a_capability_the_daemon_lacks_is_refused_with_the_reason():
    with pytest.raises(InvalidParameter, match="CAP_SYS_RESOURCE: the daemon does not hold"):
        container_capabilities(["SYS_RESOURCE"], [], False, NO_SYS_RESOURCE)


def test_own_capabilities_reads_capprm(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\nCapEff:\t0\n")
    assert own_capabilities(str(status)) == 0x1FFFEFFFFFF
