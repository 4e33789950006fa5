"""Create-request fields porthole does not honour are refused by name, and what clients send for "unset" passes."""

import pytest

from runtime.engine.unsupported import UNSUPPORTED, refuse_unsupported
from runtime.errors import NotImplementedYet

# What the docker CLI 28 sends for a plain `docker create busybox true`.
CLI_DEFAULTS = {
    "Domainname": "",
    "HostConfig": {
        "CapAdd": None,
        "CapDrop": None,
        "CgroupParent": "",
        "DeviceCgroupRules": None,
        "DeviceRequests": None,
        "Devices": [],
        "GroupAdd": None,
        "IpcMode": "",
        "MemorySwappiness": -1,
        "OomScoreAdj": 0,
        "PidMode": "",
        "Privileged": False,
        "ReadonlyRootfs": False,
        "SecurityOpt": None,
        "ShmSize": 0,
        "UTSMode": "",
        "Ulimits": [],
        "UsernsMode": "",
        "BlkioWeightDevice": [],
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
    },
}


def test_the_clis_defaults_pass():
    refuse_unsupported(CLI_DEFAULTS)


def test_an_empty_body_passes():
    refuse_unsupported({})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"HostConfig": {"MemorySwappiness": 10}}, "HostConfig.MemorySwappiness: --memory-swappiness"),
        ({"Domainname": "example.com"}, "porthole: Domainname: --domainname is not supported yet"),
    ],
)
def test_a_given_field_is_refused_by_name(body, message):
    with pytest.raises(NotImplementedYet) as refused:
        refuse_unsupported(body)
    assert message in str(refused.value)


@pytest.mark.parametrize("value", [{"MemorySwappiness": -1}])
def test_dockers_own_defaults_spelled_out_pass(value):
    refuse_unsupported({"HostConfig": value})


def test_every_field_is_named_once():
    names = [(f.section, f.name) for f in UNSUPPORTED]
    assert len(names) == len(set(names))
