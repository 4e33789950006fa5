"""The isolation flags as the docker CLI parses them."""

import json

import pytest

from porthole.cli.flags.security import device, security_opt, sysctl, ulimit
from runtime.errors import InvalidParameter


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("/dev/fuse", {"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse", "CgroupPermissions": "rwm"}),
        ("/dev/fuse:r", {"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse", "CgroupPermissions": "r"}),
        ("/dev/fuse:/dev/f", {"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/f", "CgroupPermissions": "rwm"}),
        ("/dev/fuse:/dev/f:rw", {"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/f", "CgroupPermissions": "rw"}),
    ],
)
def test_device(text, parsed):
    assert device(text) == parsed


@pytest.mark.parametrize(("text", "message"), [("/a:/b:c:d", "invalid device specification"), ("/a:/b:rwx", "mode")])
def test_bad_devices(text, message):
    with pytest.raises(InvalidParameter, match=message):
        device(text)


def test_ulimit():
    assert ulimit("nofile=100:200") == {"Name": "nofile", "Soft": 100, "Hard": 200}
    assert ulimit("nproc=50") == {"Name": "nproc", "Soft": 50, "Hard": 50}
    with pytest.raises(InvalidParameter, match="20 > 10"):
        ulimit("nofile=20:10")


def test_a_seccomp_profile_file_is_sent_as_its_compact_content(tmp_path):
    profile = tmp_path / "p.json"
    profile.write_text('{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n')
    assert security_opt(f"seccomp={profile}") == 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'
    assert json.loads(security_opt(f"seccomp={profile}")[len("seccomp=") :]) == {"defaultAction": "SCMP_ACT_ALLOW"}
    assert security_opt("seccomp=unconfined") == "seccomp=unconfined"
    assert security_opt("no-new-privileges") == "no-new-privileges"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bogus", 'Invalid --security-opt: "bogus"'),
        ("seccomp=/no/such.json", "opening seccomp profile (/no/such.json)"),
    ],
)
def test_bad_security_opts(text, message):
    with pytest.raises(InvalidParameter, match=message.replace("(", r"\(").replace(")", r"\)")):
        security_opt(text)


def test_sysctl():
    assert sysctl("net.ipv4.ip_forward=1") == ("net.ipv4.ip_forward", "1")
    with pytest.raises(InvalidParameter):
        sysctl("kernel.shmmax")
