import sys
import textwrap

import pytest

from logdrivers.errors import (
    DriverExists,
    InvalidLogOpt,
    ReadLogsNotSupported,
    UnknownDriver,
    UnknownLogOpt,
)
from logdrivers.jsonfile.options import JsonFileOptions
from logdrivers.registry import PLUGIN_GROUP, Registry, builtin_registry
from logdrivers.spec import DriverSpec


def test_builtins_and_nothing_registered_on_import():
    assert builtin_registry().names() == [
        "elasticsearch",
        "fluentd",
        "gelf",
        "journald",
        "json-file",
        "local",
        "none",
        "syslog",
    ]
    assert Registry().names() == []


def test_duplicate_name_is_an_error():
    registry = builtin_registry()
    with pytest.raises(DriverExists, match="logdrivers: log driver 'json-file': already registered"):
        registry.register(registry.get("json-file"))


def test_unknown_driver_has_dockers_text():
    with pytest.raises(UnknownDriver) as caught:
        builtin_registry().validate("syslogg", {})
    assert str(caught.value) == "logger: no log driver named 'syslogg' is registered"


def test_unknown_option_has_dockers_text():
    with pytest.raises(UnknownLogOpt) as caught:
        builtin_registry().validate("json-file", {"x": "1"})
    assert str(caught.value) == "unknown log opt 'x' for json-file log driver"
    assert isinstance(caught.value, InvalidLogOpt)


def test_shared_options_checked_before_the_drivers():
    with pytest.raises(InvalidLogOpt) as caught:
        builtin_registry().validate("json-file", {"mode": "sometimes", "x": "1"})
    assert caught.value.key == "mode"


def test_validate_returns_parsed_options():
    config = builtin_registry().validate("json-file", {"mode": "non-blocking", "max-size": "1k"})
    assert config.shared.mode == "non-blocking" and config.shared.max_buffer_size == 1_000_000
    assert config.options == JsonFileOptions(max_size=1000)


def test_none_takes_any_option_and_refuses_reading(info):
    registry = builtin_registry()
    config = registry.validate("none", {"anything": "goes", "mode": "weird"})
    with pytest.raises(ReadLogsNotSupported) as caught:
        registry.open_reader(config, info)
    assert str(caught.value) == "configured logging driver does not support reading"


@pytest.fixture
def fake_distribution(tmp_path, monkeypatch):
    """A plugin package on sys.path, found through its .dist-info entry points like an installed one."""
    site = tmp_path / "site"
    (site / "fakelog").mkdir(parents=True)
    (site / "fakelog" / "__init__.py").write_text(
        textwrap.dedent(
            """
            from logdrivers.spec import DriverSpec

            class FakeDriver:
                name = "fake"
                def __init__(self, info, options):
                    self.options = options
                def log(self, msg):
                    pass
                def close(self):
                    pass

            def parse_options(opts):
                return dict(opts)

            SPEC = DriverSpec("fake", parse_options, FakeDriver)
            CLASH = DriverSpec("json-file", parse_options, FakeDriver)
            NOT_A_SPEC = 42
            """
        )
    )
    dist_info = site / "fakelog-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakelog\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        f"[{PLUGIN_GROUP}]\n"
        "fake = fakelog:SPEC\n"
        "clash = fakelog:CLASH\n"
        "wrong = fakelog:NOT_A_SPEC\n"
        "broken = fakelog_missing:SPEC\n"
    )
    monkeypatch.syspath_prepend(str(site))
    yield
    monkeypatch.delitem(sys.modules, "fakelog", raising=False)


def test_plugins_load_from_entry_points(fake_distribution, info):
    registry = builtin_registry()
    errors = registry.load_plugins()
    assert registry.names() == [
        "elasticsearch",
        "fake",
        "fluentd",
        "gelf",
        "journald",
        "json-file",
        "local",
        "none",
        "syslog",
    ]
    assert isinstance(registry.get("fake"), DriverSpec)
    assert registry.create_remote(registry.validate("fake", {"k": "v"}), info).options == {"k": "v"}
    messages = sorted(str(e) for e in errors)
    assert messages == [
        "logdrivers: plugin 'fakelog:CLASH': logdrivers: log driver 'json-file': already registered",
        "logdrivers: plugin 'fakelog:NOT_A_SPEC': is a int, not a DriverSpec",
        "logdrivers: plugin 'fakelog_missing:SPEC': cannot load: "
        "ModuleNotFoundError(\"No module named 'fakelog_missing'\")",
    ]
