"""Reports travel as JSON and come back the same; a malformed one is refused with the field named."""

import pytest

from tests.unit.topology.reports import talking_host
from web.topology.errors import InvalidReport
from web.topology.report import decode_report, encode_report


def test_a_report_comes_back_the_same():
    r = talking_host()
    assert decode_report(encode_report(r)) == r


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "topology: invalid report: not JSON: JSON is malformed: invalid character (byte 4)"),
        (b"{}", "topology: invalid report: Object missing required field `probe_id`"),
        (
            b'{"probe_id": "p", "timestamp": 1, "host": {"id": "h", "hostname": "h", "netns": "x", '
            b'"addresses": [], "networks": []}}',
            "topology: invalid report: Expected `int`, got `str` - at `$.host.netns`",
        ),
        (
            b'{"probe_id": "p", "timestamp": 1, "host": {"id": "", "hostname": "h", "netns": 1, '
            b'"addresses": [], "networks": []}}',
            "topology: invalid report field host.id: it is empty",
        ),
        (
            b'{"probe_id": "p", "timestamp": 1, "version": 9, "host": {"id": "h", "hostname": "h", "netns": 1, '
            b'"addresses": [], "networks": []}}',
            "topology: invalid report version 9: this app reads version 1",
        ),
    ],
)
def test_a_malformed_report_is_refused_naming_why(body, message):
    with pytest.raises(InvalidReport) as caught:
        decode_report(body)
    assert str(caught.value) == message
