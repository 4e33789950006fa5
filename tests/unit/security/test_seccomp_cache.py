"""The default program leaves the kernel's action cache whole: every call the profile allows unconditionally is
allowed from the cache's bitmap, without the program running (the per-call cost of the filter is then the
kernel's seccomp entry alone, as for Docker's). A layout that loaded an argument or used an instruction the
kernel's emulator does not know on a call's path would make the program run on every such call."""

import pyseccomp
import pytest

from runtime.security.seccomp_filter import compile_filter
from tests.support.seccomp_cache import default_filter, kernel_cache_allows

CHOSEN = default_filter()
PROGRAM = compile_filter(CHOSEN)


def _native(names):
    return sorted(n for n in names if pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, n) >= 0)


UNCONDITIONAL = _native({n for r in CHOSEN.rules if r.action == "SCMP_ACT_ALLOW" and not r.args for n in r.names})
CONDITIONAL = _native({n for r in CHOSEN.rules if r.action == "SCMP_ACT_ALLOW" and r.args for n in r.names})


def test_every_unconditionally_allowed_call_is_answered_by_the_cache():
    assert len(UNCONDITIONAL) > 250
    missed = [name for name in UNCONDITIONAL if not kernel_cache_allows(PROGRAM, name)]
    assert missed == []


@pytest.mark.parametrize("name", ["mount", "keyctl", "unshare", "add_key", "perf_event_open", "kexec_load"])
def test_a_refused_call_is_not_allowed_from_the_cache(name):
    assert not kernel_cache_allows(PROGRAM, name)


def test_a_call_allowed_only_for_some_arguments_runs_the_program():
    assert {"clone", "personality", "socket"} <= set(CONDITIONAL) - set(UNCONDITIONAL)
    assert not any(kernel_cache_allows(PROGRAM, name) for name in ("clone", "personality", "socket"))
