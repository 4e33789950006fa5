"""The device allow-list both versions enforce, and v2's program made from it (its decisions are checked on the
kernel by tests/integration/test_device_program.py)."""

import struct

from runtime.cgroups.devicerules import DEFAULT_ALLOW, DeviceRule, allowed, parse_rule
from runtime.cgroups.resources import Resources
from runtime.cgroups.v2.devicefilter import device_program
from runtime.cgroups.v2.devices import DevicesV2


def _instructions(program: bytes) -> list[tuple[int, int, int, int]]:
    return [struct.unpack("<BBhi", program[i : i + 8]) for i in range(0, len(program), 8)]


def test_rules_parse():
    assert parse_rule("c 1:3 rwm") == DeviceRule("c", 1, 3, "rwm")
    assert parse_rule("c 136:* rwm") == DeviceRule("c", 136, None, "rwm")
    assert parse_rule("b *:* m") == DeviceRule("b", None, None, "m")
    assert parse_rule("a *:* rwm") == DeviceRule("a", None, None, "rwm")


def test_the_allow_list_is_dockers_defaults_plus_the_containers_or_everything():
    assert len(allowed(Resources())) == len(DEFAULT_ALLOW)
    assert allowed(Resources(device_rules=("c 10:229 rwm",)))[-1] == DeviceRule("c", 10, 229, "rwm")
    assert allowed(Resources(device_rules=("c 10:229 rwm", "a *:* rwm"))) == (DeviceRule("a", None, None, "rwm"),)


def test_every_jump_of_the_program_lands_inside_it_and_it_ends_in_deny():
    program = _instructions(device_program(allowed(Resources(device_rules=("c 10:237 r",)))))
    for pc, (code, _, offset, _) in enumerate(program):
        if code in (0x55, 0x5D):
            assert 0 < pc + 1 + offset < len(program)
    assert program[-2:] == [(0xB4, 0, 0, 0), (0x95, 0, 0, 0)]  # r0 = 0 (deny), exit


def test_allow_all_is_a_program_without_dead_code():
    program = _instructions(device_program((DeviceRule("a", None, None, "rwm"),)))
    assert program[-2:] == [(0xB4, 0, 0, 1), (0x95, 0, 0, 0)]


def test_v2_attaches_the_program_to_the_group(tmp_path, attached_device_programs):
    assert DevicesV2().set(tmp_path, Resources()) == []
    assert attached_device_programs == [(tmp_path, device_program(allowed(Resources())))]
