import pytest

from logdrivers.errors import InvalidLogOpt
from logdrivers.tag import parse_tag_template

RENDERED = {
    "docs example": ("{{.ImageName}}/{{.Name}}/{{.ID}}", "hello-world/foobar/5790672ab6a0"),
    "literal": ("web", "web"),
    "full ids": ("{{.FullID}} {{.ImageFullID}}", "5790672ab6a0" + "1" * 52 + " sha256:9e0a2c3f1b2d" + "2" * 52),
    "short image id drops the algorithm": ("{{.ImageID}}", "9e0a2c3f1b2d"),
    "daemon, host, command": ("{{.DaemonName}}@{{.Hostname}}: {{.Command}}", "porthole@host1: /hello -v x"),
    "raw name keeps the slash": ("{{.ContainerName}}", "/foobar"),
    "label by index": ('{{index .ContainerLabels "tier"}}', "front"),
    "label by field": ("{{.ContainerLabels.tier}}", "front"),
    "missing label is empty": ('[{{index .ContainerLabels "nope"}}]', "[]"),
    "functions": ("{{upper .Name}} {{truncate .FullID 4}} {{pad .Name 1 2}}|", "FOOBAR 5790  foobar  |"),
    "pipe": ("{{.Name | upper}}", "FOOBAR"),
    "split shows a list as Go does": ('{{split .ImageName "-"}}', "[hello world]"),
    "join": ('{{join .ContainerArgs "+"}}', "-v+x"),
    "json": ("{{json .ContainerArgs}}", '["-v","x"]'),
    "trim markers": ("a  {{- .Name -}}  b", "afoobarb"),
    "title and lower": ('{{title "hello world"}} {{lower "ABC"}}', "Hello World abc"),
}


@pytest.mark.parametrize("template, expected", RENDERED.values(), ids=RENDERED.keys())
def test_render(info, template, expected):
    assert parse_tag_template(template, "json-file").render(info) == expected


BAD = {
    "unknown field": ("{{.Nope}}", "can't evaluate field .Nope"),
    "unknown function": ("{{shout .Name}}", 'function "shout" not defined'),
    "unclosed": ("{{.Name", "unclosed action"),
    "argument to a field": ("{{.Name .ID}}", "can't give argument to non-function .Name"),
    "garbage": ("{{.Name ]}}", "unexpected ']' in action"),
    "empty action": ("{{}}", "empty command"),
}


@pytest.mark.parametrize("template, why", BAD.values(), ids=BAD.keys())
def test_bad_templates_fail_at_parse(template, why):
    with pytest.raises(InvalidLogOpt) as caught:
        parse_tag_template(template, "gelf")
    assert str(caught.value) == f"logdrivers: log opt 'tag' for gelf log driver: template '{template}': {why}"


def test_wrong_argument_type_fails_at_render(info):
    template = parse_tag_template('{{truncate .Name "x"}}', "json-file")
    with pytest.raises(InvalidLogOpt, match="executing"):
        template.render(info)
