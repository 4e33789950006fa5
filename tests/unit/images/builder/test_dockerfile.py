"""The Dockerfile parser and instruction shapes: directives, continuations, comments, flags, Docker's errors."""

import pytest

from runtime.errors import InvalidParameter
from runtime.images.builder.dockerfile import parse_dockerfile
from runtime.images.builder.instructions import parse_program


def program(text: str):
    return parse_program(parse_dockerfile(text))


def test_continuations_comments_and_directives():
    parsed = parse_dockerfile("# escape=`\n# syntax=x\nFROM busybox\n# note\nRUN echo a `\n  # inside\n  b\n")
    assert parsed.escape == "`"
    assert [line.original for line in parsed.lines] == ["FROM busybox", "RUN echo a   b"]
    assert [line.start for line in parsed.lines] == [3, 5]
    assert "syntax parser directive (x) is ignored" in parsed.warnings[0]


def test_a_directive_after_an_instruction_is_a_comment():
    parsed = parse_dockerfile("FROM busybox\n# escape=`\nRUN a \\\n b\n")
    assert parsed.escape == "\\" and parsed.lines[1].original == "RUN a  b"


def test_flags_are_split_from_the_arguments():
    stage = program("FROM busybox\nCOPY --chown=1:2 --from=x a b /c/\n").stages[0]
    copy = stage.steps[0]
    assert copy.flags == {"chown": "1:2", "from": "x"} and copy.args == ("a", "b", "/c/")


def test_stages_meta_args_and_exec_forms():
    parsed = program('ARG V=1\nFROM busybox:$V AS One\nCMD ["a", "b"]\nFROM one\nENV A b c\n')
    assert [a.args for a in parsed.meta_args] == [("V=1",)]
    assert [s.name for s in parsed.stages] == ["one", None]
    assert parsed.stages[0].steps[0].json_form and parsed.stages[0].steps[0].args == ("a", "b")
    assert parsed.stages[1].steps[0].args == ("A=b c",)  # the legacy ENV form is one pair


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the Dockerfile (Dockerfile) cannot be empty"),
        ("# just a comment\n", "failed to parse Dockerfile: file with no instructions"),
        ("RUN true\n", "no build stage in current context"),
        ("FROM busybox\nFOOBAR x\n", "dockerfile parse error line 2: unknown instruction: FOOBAR"),
        ("FROM busybox\nENV A\n", "failed to parse Dockerfile: ENV must have two arguments"),
        ("FROM busybox\nCOPY --foo=1 a /\n", "dockerfile parse error line 2: Unknown flag: foo"),
        ("FROM busybox AS\n", "dockerfile parse error line 1: FROM requires either one or three arguments"),
        ("# escape=x\nFROM busybox\n", "invalid escape token 'x' does not match ` or \\"),
        ("FROM busybox\nWORKDIR\n", "dockerfile parse error line 2: WORKDIR requires exactly one argument"),
        ("FROM busybox\nONBUILD FROM x\n", "dockerfile parse error line 2: FROM isn't allowed as an ONBUILD trigger"),
        ("FROM busybox\nSHELL /bin/sh\n", "SHELL requires the arguments to be in JSON form"),
        ("FROM busybox\nARG\n", "dockerfile parse error line 2: ARG requires at least one argument"),
        ("FROM a AS x\nFROM b AS x\n", "dockerfile parse error line 2: duplicate name x"),
    ],
)
def test_errors_are_dockers(text, message):
    with pytest.raises(InvalidParameter) as caught:
        program(text)
    assert message in caught.value.message
