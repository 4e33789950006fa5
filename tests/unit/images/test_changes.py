import pytest

from runtime.errors import InvalidParameter
from runtime.images.changes import apply_changes
from runtime.images.imageconfig import empty_container_config
from runtime.images.shellwords import expand_word, split_words


def applied(*changes: str, base: dict | None = None) -> dict:
    return apply_changes(base if base is not None else empty_container_config(), changes)


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        (['CMD ["sh", "-c", "echo hi"]'], "Cmd", ["sh", "-c", "echo hi"]),
        (["CMD echo $HOME"], "Cmd", ["/bin/sh", "-c", "echo $HOME"]),
        (["cmd top -b"], "Cmd", ["/bin/sh", "-c", "top -b"]),
        (['CMD ["not closed"'], "Cmd", ["/bin/sh", "-c", '["not closed"']),
        (['ENTRYPOINT ["/bin/app"]'], "Entrypoint", ["/bin/app"]),
        (["ENTRYPOINT exec app"], "Entrypoint", ["/bin/sh", "-c", "exec app"]),
        (['CMD ["a"]', 'ENTRYPOINT ["b"]'], "Cmd", ["a"]),
        (['ENTRYPOINT ["b"]', 'CMD ["a"]'], "Cmd", ["a"]),
        (["ENV A=1"], "Env", ["A=1"]),
        (["ENV A=1 B=two"], "Env", ["A=1", "B=two"]),
        (["ENV A=\"x y\" B='$q' C=a\\ b"], "Env", ["A=x y", "B=$q", "C=a b"]),
        (["ENV A legacy value here"], "Env", ["A=legacy value here"]),
        (["ENV A=1", "ENV B=$A C=${A}x D=${NOPE:-dflt} E=${A:+alt}"], "Env", ["A=1", "B=1", "C=1x", "D=dflt", "E=alt"]),
        (["ENV A=1 B=$A"], "Env", ["A=1", "B="]),
        (["ENV A=1", "ENV A=2"], "Env", ["A=2"]),
        (['ENV A="$B\\$"'], "Env", ["A=$"]),
        (['LABEL a=b c="d e"'], "Labels", {"a": "b", "c": "d e"}),
        (["LABEL maintainer someone <x@y>"], "Labels", {"maintainer": "someone <x@y>"}),
        (["EXPOSE 80"], "ExposedPorts", {"80/tcp": {}}),
        (
            ["EXPOSE 53/udp 8000-8002/TCP"],
            "ExposedPorts",
            {"53/udp": {}, "8000/tcp": {}, "8001/tcp": {}, "8002/tcp": {}},
        ),
        (["USER nobody"], "User", "nobody"),
        (["ENV U=daemon", "USER $U:1"], "User", "daemon:1"),
        (["VOLUME /data /logs"], "Volumes", {"/data": {}, "/logs": {}}),
        (['VOLUME ["/data", "/with space"]'], "Volumes", {"/data": {}, "/with space": {}}),
        (["WORKDIR /app"], "WorkingDir", "/app"),
        (["WORKDIR /app", "WORKDIR sub/../src"], "WorkingDir", "/app/src"),
        (["WORKDIR rel"], "WorkingDir", "/rel"),
        (["STOPSIGNAL SIGINT"], "StopSignal", "SIGINT"),
        (["STOPSIGNAL 9"], "StopSignal", "9"),
        (["STOPSIGNAL term"], "StopSignal", "term"),
        (["ONBUILD RUN make"], "OnBuild", ["RUN make"]),
        (["HEALTHCHECK NONE"], "Healthcheck", {"Test": ["NONE"]}),
        (
            ["HEALTHCHECK --interval=30s --timeout=1m30s --retries=3 CMD curl -f http://localhost/"],
            "Healthcheck",
            {
                "Test": ["CMD-SHELL", "curl -f http://localhost/"],
                "Interval": 30 * 10**9,
                "Timeout": 90 * 10**9,
                "Retries": 3,
            },
        ),
        (['HEALTHCHECK CMD ["true"]'], "Healthcheck", {"Test": ["CMD", "true"]}),
        (["# a comment", "", "CMD \\", "  run"], "Cmd", ["/bin/sh", "-c", "run"]),
    ],
)
def test_apply_changes(changes, field, expected):
    assert applied(*changes)[field] == expected


def test_entrypoint_clears_an_inherited_cmd_and_the_input_is_not_mutated():
    base = {**empty_container_config(), "Cmd": ["old"]}
    assert applied('ENTRYPOINT ["b"]', base=base)["Cmd"] is None
    assert base["Cmd"] == ["old"]


def test_shell_form_uses_the_config_shell():
    assert applied("CMD run", base={"Shell": ["/bin/bash", "-lc"]})["Cmd"] == ["/bin/bash", "-lc", "run"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (["RUN make"], "run is not a valid change command"),
        (["FROM scratch"], "from is not a valid change command"),
        (["EXPOSE http"], "images: change EXPOSE: invalid port 'http'"),
        (["EXPOSE 80/xyz"], "unknown protocol 'xyz'"),
        (["EXPOSE 0"], "ports must be in 1-65535"),
        (["EXPOSE 90-80"], "ports must be in 1-65535"),
        (["STOPSIGNAL SIGNOPE"], "images: change STOPSIGNAL: Invalid signal: SIGNOPE"),
        (["ENV"], "images: change ENV: requires at least one argument"),
        (["ENV A"], "images: change ENV: 'A' has no value"),
        (["ENV A=1 =2"], "images: change ENV: '=2' is not NAME=VALUE"),
        (['ENV A="open'], "unexpected end of statement while looking for matching double-quote"),
        (["ENV A=${B"], "missing ':' in substitution"),
        (["VOLUME"], "images: change VOLUME: requires at least one path"),
        (['VOLUME [""]'], "VOLUME specified can not be an empty string"),
        (["WORKDIR"], "images: change WORKDIR: requires a path"),
        (["ONBUILD ONBUILD RUN x"], "ONBUILD isn't allowed as an ONBUILD trigger"),
        (["HEALTHCHECK --interval=5 CMD x"], 'images: change HEALTHCHECK: time: invalid duration "5"'),
        (["HEALTHCHECK --bogus=1 CMD x"], "unknown flag: --bogus"),
        (["HEALTHCHECK NONE x"], "HEALTHCHECK NONE takes no arguments"),
        (["HEALTHCHECK RUN x"], 'Unknown type "RUN" in HEALTHCHECK (try CMD)'),
        (["HEALTHCHECK --retries=0 CMD x"], "--retries must be at least 1 (not 0)"),
    ],
)
def test_bad_changes_are_refused_with_the_reason(changes, message):
    with pytest.raises(InvalidParameter) as caught:
        applied(*changes)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a b  c", ["a", "b", "c"]),
        ('a="x y" b', ['a="x y"', "b"]),
        ("a\\ b c", ["a\\ b", "c"]),
        ("'q w' e", ["'q w'", "e"]),
        ("", []),
    ],
)
def test_split_words_keeps_quotes_for_expansion(text, words):
    assert split_words(text) == words


@pytest.mark.parametrize(
    ("word", "expanded"),
    [
        ("$A", "1"),
        ("${A}b", "1b"),
        ("'$A'", "$A"),
        ('"$A \\" \\\\ \\n"', '1 " \\ \\n'),
        ("\\$A", "$A"),
        ("$", "$"),
        ("$UNSET-x", "-x"),
    ],
)
def test_expand_word(word, expanded):
    assert expand_word(word, {"A": "1"}) == expanded
