"""HostConfig.SecurityOpt read as moby's parseSecurityOpt reads it."""

import pytest

from runtime.errors import InvalidParameter, NotImplementedYet
from runtime.security.options import SecurityOpts, parse_security_opts


@pytest.mark.parametrize(
    ("options", "parsed"),
    [
        (None, SecurityOpts()),
        (["no-new-privileges"], SecurityOpts(no_new_privileges=True)),
        (["no-new-privileges=true"], SecurityOpts(no_new_privileges=True)),
        (["no-new-privileges:false"], SecurityOpts(no_new_privileges=False)),
        (["seccomp=unconfined"], SecurityOpts(seccomp="unconfined")),
        (["seccomp:unconfined"], SecurityOpts(seccomp="unconfined")),  # the deprecated separator
        (['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'], SecurityOpts(seccomp='{"defaultAction":"SCMP_ACT_ALLOW"}')),
        (["apparmor=unconfined", "label=disable", "label:disable"], SecurityOpts()),
    ],
)
def test_accepted(options, parsed):
    assert parse_security_opts(options) == parsed


@pytest.mark.parametrize(
    ("option", "message"),
    [("nonsense", 'invalid --security-opt 1: "nonsense"'), ("foo=bar", 'invalid --security-opt 2: "foo=bar"'),
     ("no-new-privileges=yes", 'invalid --security-opt 2: "no-new-privileges=yes"')],
)  # fmt: skip
def test_refused_with_dockers_messages(option, message):
    with pytest.raises(InvalidParameter) as refused:
        parse_security_opts([option])
    assert str(refused.value) == message


@pytest.mark.parametrize("option", ["apparmor=docker-default", "label=type:svirt_t"])
def test_lsm_profiles_are_refused_not_ignored(option):
    with pytest.raises(NotImplementedYet, match=option):
        parse_security_opts([option])
