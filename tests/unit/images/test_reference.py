import pytest

from runtime.errors import InvalidParameter
from runtime.images.reference import id_from_digest_text, parse_reference, parse_repo_and_tag

HEX = "a" * 64


@pytest.mark.parametrize(
    ("text", "name", "tag", "familiar"),
    [
        ("busybox", "docker.io/library/busybox", None, "busybox"),
        ("busybox:latest", "docker.io/library/busybox", "latest", "busybox:latest"),
        ("library/busybox:1.36", "docker.io/library/busybox", "1.36", "busybox:1.36"),
        ("docker.io/busybox", "docker.io/library/busybox", None, "busybox"),
        ("docker.io/library/busybox:latest", "docker.io/library/busybox", "latest", "busybox:latest"),
        ("index.docker.io/library/busybox", "docker.io/library/busybox", None, "busybox"),
        ("me/app:v1", "docker.io/me/app", "v1", "me/app:v1"),
        ("quay.io/org/app:1.0", "quay.io/org/app", "1.0", "quay.io/org/app:1.0"),
        ("localhost/app", "localhost/app", None, "localhost/app"),
        ("localhost:5000/a/b:c", "localhost:5000/a/b", "c", "localhost:5000/a/b:c"),
        ("my-app_x.y__z", "docker.io/library/my-app_x.y__z", None, "my-app_x.y__z"),
        ("app:V1_x.y-z", "docker.io/library/app", "V1_x.y-z", "app:V1_x.y-z"),
        ("sha256:abc", "docker.io/library/sha256", "abc", "sha256:abc"),
        (f"app@sha256:{HEX}", "docker.io/library/app", None, f"app@sha256:{HEX}"),
    ],
)
def test_parse_reference_normalises_as_docker(text, name, tag, familiar):
    parsed = parse_reference(text)
    assert (parsed.name, parsed.tag, parsed.familiar()) == (name, tag, familiar)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Busy", "invalid reference format: repository name (library/Busy) must be lowercase"),
        ("me/App:1", "invalid reference format: repository name (me/App) must be lowercase"),
        (HEX, f"invalid repository name ({HEX}), cannot specify 64-byte hexadecimal strings"),
        ("", "invalid reference format: repository name must have at least one component"),
        ("busy!box", 'invalid reference format: "busy!box" is not a valid repository/tag'),
        ("app:", 'invalid reference format: "app:" is not a valid repository/tag'),
        ("app:-x", 'invalid reference format: "app:-x" is not a valid repository/tag'),
        ("app:" + "x" * 129, "is not a valid repository/tag"),
        ("a//b", 'invalid reference format: "a//b" is not a valid repository/tag'),
        ("-app", 'invalid reference format: "-app" is not a valid repository/tag'),
        ("x/" + "a" * 260, "must not be more than 255 characters"),
    ],
)
def test_parse_reference_refuses_with_dockers_text(text, message):
    with pytest.raises(InvalidParameter) as caught:
        parse_reference(text)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("repo", "tag", "familiar"),
    [
        ("busybox", None, "busybox:latest"),
        ("busybox", "", "busybox:latest"),
        ("busybox", "1.0", "busybox:1.0"),
        ("busybox:old", None, "busybox:old"),
        ("busybox:old", "new", "busybox:new"),
        ("localhost:5000/x", "t", "localhost:5000/x:t"),
    ],
)
def test_parse_repo_and_tag(repo, tag, familiar):
    assert parse_repo_and_tag(repo, tag).familiar() == familiar


@pytest.mark.parametrize(
    ("repo", "tag", "message"),
    [
        ("busybox", "bad tag", "invalid tag format"),
        ("busybox", ".x", "invalid tag format"),
        ("Busybox", "x", "must be lowercase"),
        (f"busybox@sha256:{HEX}", None, "refusing to create a tag with a digest reference"),
        ("sha256", "x", "refusing to create an ambiguous tag"),
    ],
)
def test_parse_repo_and_tag_refusals(repo, tag, message):
    with pytest.raises(InvalidParameter) as caught:
        parse_repo_and_tag(repo, tag)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEX, f"sha256:{HEX}"),
        (f"sha256:{HEX}", f"sha256:{HEX}"),
        ("abc", None),
        ("sha256:abc", None),
        ("busybox", None),
    ],
)
def test_id_from_digest_text(text, expected):
    assert id_from_digest_text(text) == expected
