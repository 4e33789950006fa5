"""elasticsearch options: what each accepts, its defaults, and the error text naming the option."""

import pytest

from logdrivers.cache import local_spec
from logdrivers.elasticsearch.options import ElasticsearchOptions, parse_options
from logdrivers.errors import InvalidLogOpt, UnknownLogOpt
from logdrivers.registry import builtin_registry

URL = {"elasticsearch-url": "http://127.0.0.1:9200"}


def test_defaults():
    assert parse_options(URL) == ElasticsearchOptions(urls=("http://127.0.0.1:9200",))
    options = parse_options(URL)
    assert options.index == "logs-porthole-default" and options.data_stream == ("logs", "porthole", "default")
    assert (options.batch_size, options.flush_interval_s, options.verify_tls, options.install_template) == (
        1000,
        1.0,
        True,
        True,
    )
    assert (options.retry_backoff_s, options.retry_max_backoff_s, options.timeout_s) == (1.0, 60.0, 30.0)


@pytest.mark.parametrize(
    ("opts", "field", "value"),
    [
        ({"elasticsearch-url": "https://a:9200, http://b:9201/"}, "urls", ("https://a:9200", "http://b:9201")),
        ({"elasticsearch-url": "http://[::1]:9200/prefix"}, "urls", ("http://[::1]:9200/prefix",)),
        ({"elasticsearch-username": "elastic", "elasticsearch-password": "s3cret"}, "password", "s3cret"),
        ({"elasticsearch-api-key": "aWQ6a2V5"}, "api_key", "aWQ6a2V5"),
        ({"elasticsearch-tls-skip-verify": "true"}, "verify_tls", False),
        ({"elasticsearch-index": "logs-web-prod"}, "index", "logs-web-prod"),
        ({"elasticsearch-index": "app.logs"}, "data_stream", None),
        ({"elasticsearch-pipeline": "parse-nginx"}, "pipeline", "parse-nginx"),
        ({"elasticsearch-install-template": "false"}, "install_template", False),
        ({"elasticsearch-batch-size": "5000"}, "batch_size", 5000),
        ({"elasticsearch-flush-interval": "250ms"}, "flush_interval_s", 0.25),
        ({"elasticsearch-flush-interval": "0"}, "flush_interval_s", 0.0),
        ({"elasticsearch-retry-backoff": "100ms"}, "retry_backoff_s", 0.1),
        ({"elasticsearch-retry-backoff": "2m"}, "retry_max_backoff_s", 120.0),  # the cap follows a longer start
        ({"elasticsearch-retry-max-backoff": "5s"}, "retry_max_backoff_s", 5.0),
        ({"elasticsearch-timeout": "1m30s"}, "timeout_s", 90.0),
    ],
)
def test_accepted(opts, field, value):
    assert getattr(parse_options({**URL, **opts}), field) == value


@pytest.mark.parametrize(
    ("opts", "key", "why"),
    [
        ({}, "elasticsearch-url", "elasticsearch-url is a required parameter"),
        ({"elasticsearch-url": "es:9200"}, "elasticsearch-url", "expected http://host:port or https://host:port"),
        ({"elasticsearch-url": "ftp://es:21"}, "elasticsearch-url", "unsupported scheme 'ftp'"),
        ({"elasticsearch-url": "http://:9200"}, "elasticsearch-url", "missing host"),
        ({"elasticsearch-url": "http://es:99999"}, "elasticsearch-url", "invalid port"),
        ({"elasticsearch-url": "http://u:p@es:9200"}, "elasticsearch-url", "credentials belong in"),
        ({"elasticsearch-url": "http://a:1,http://b:x"}, "elasticsearch-url", "invalid elasticsearch-url (http://b:x)"),
        ({"elasticsearch-username": "elastic"}, "elasticsearch-password", "elasticsearch-password is required"),
        ({"elasticsearch-password": "x"}, "elasticsearch-username", "elasticsearch-username is required"),
        (
            {"elasticsearch-api-key": "k", "elasticsearch-username": "u", "elasticsearch-password": "p"},
            "elasticsearch-api-key",
            "either elasticsearch-api-key or a username and password",
        ),
        ({"elasticsearch-ca": "/etc/ca.pem"}, "elasticsearch-ca", "no elasticsearch-url uses https"),
        ({"elasticsearch-tls-skip-verify": "maybe"}, "elasticsearch-tls-skip-verify", 'parsing "maybe"'),
        ({"elasticsearch-index": "Logs"}, "elasticsearch-index", "invalid data stream name 'Logs': must be lowercase"),
        ({"elasticsearch-index": "a b"}, "elasticsearch-index", "must not contain ' '"),
        ({"elasticsearch-index": "_x"}, "elasticsearch-index", "must not start with"),
        ({"elasticsearch-index": "x" * 256}, "elasticsearch-index", "at most 255 bytes"),
        ({"elasticsearch-pipeline": " p"}, "elasticsearch-pipeline", "invalid pipeline id ' p'"),
        ({"elasticsearch-batch-size": "0"}, "elasticsearch-batch-size", "between 1 and 10000, not 0"),
        ({"elasticsearch-batch-size": "lots"}, "elasticsearch-batch-size", 'strconv.ParseUint: parsing "lots"'),
        ({"elasticsearch-flush-interval": "1"}, "elasticsearch-flush-interval", "missing unit"),
        ({"elasticsearch-flush-interval": "-1s"}, "elasticsearch-flush-interval", "must be at least 0s"),
        ({"elasticsearch-retry-backoff": "0"}, "elasticsearch-retry-backoff", "must be at least 0.001s"),
        (
            {"elasticsearch-retry-backoff": "10s", "elasticsearch-retry-max-backoff": "1s"},
            "elasticsearch-retry-max-backoff",
            "must be at least elasticsearch-retry-backoff (10s)",
        ),
        ({"elasticsearch-timeout": "soon"}, "elasticsearch-timeout", 'time: invalid duration "soon"'),
    ],
)
def test_refused_with_the_option_named(opts, key, why):
    given = {**URL, **opts} if "elasticsearch-url" not in opts and opts != {} else opts
    with pytest.raises(InvalidLogOpt) as caught:
        parse_options(given)
    assert caught.value.key == key
    assert why in str(caught.value)
    assert str(caught.value).startswith(f"logdrivers: log opt '{key}' for elasticsearch log driver: ")


def test_a_ca_file_is_loaded_at_create(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    https = {"elasticsearch-url": "https://es:9200"}
    with pytest.raises(InvalidLogOpt, match=f"cannot load certificates from {bad}"):
        parse_options({**https, "elasticsearch-ca": str(bad)})
    with pytest.raises(InvalidLogOpt, match="cannot load certificates from /nonexistent.pem"):
        parse_options({**https, "elasticsearch-ca": "/nonexistent.pem"})
    with pytest.raises(InvalidLogOpt, match="cannot be used with elasticsearch-tls-skip-verify=true"):
        parse_options({**https, "elasticsearch-ca": str(bad), "elasticsearch-tls-skip-verify": "1"})


def test_unknown_keys_get_dockers_text():
    with pytest.raises(UnknownLogOpt, match="unknown log opt 'elasticsearch-hosts' for elasticsearch log driver"):
        parse_options({**URL, "elasticsearch-hosts": "x"})


def test_secrets_stay_out_of_the_options_repr():
    text = repr(parse_options({**URL, "elasticsearch-username": "u", "elasticsearch-password": "hunter2"}))
    assert "hunter2" not in text and "'u'" in text


def test_the_registry_knows_it_as_a_remote_driver_with_the_shared_and_cache_options():
    registry = builtin_registry()
    assert "elasticsearch" in registry.names() and registry.is_remote("elasticsearch")
    config = registry.validate("elasticsearch", {**URL, "mode": "non-blocking", "cache-max-size": "1m"})
    assert config.options.urls == ("http://127.0.0.1:9200",) and config.shared.mode == "non-blocking"
    assert local_spec("elasticsearch", {**URL, "cache-max-file": "2"}) == (
        "json-file",
        {"max-size": "20m", "max-file": "2", "compress": "true"},
    )
